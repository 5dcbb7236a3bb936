// What tests seed a repository with: commits, branches, tags, pull requests and releases.
import { createHash } from 'node:crypto'

export type Visibility = 'public' | 'private' | 'internal'
export type MakeLatest = 'true' | 'false' | 'legacy'

export interface SeedCommit {
  sha: string
  message?: string
  /** Committer date, ISO 8601. */
  date?: string
  parents?: string[]
  author?: { name: string; email: string }
  /** The commit's tree; default: one derived from the commit's sha. */
  tree?: string
}

/** An annotated tag: a tag object (with its own sha) pointing at a commit. */
export interface SeedAnnotatedTag {
  /** The commit tagged. */
  sha: string
  message?: string
  /** Default: the seeds' default author, at 2024-01-01T00:00:00Z. */
  tagger?: { name: string; email: string; date: string }
}

export interface SeedPull {
  number: number
  /** The commits the pull request contains or was merged as. */
  commits: string[]
  title?: string
  user?: string
  body?: string | null
  labels?: string[]
  state?: 'open' | 'closed'
  merged_at?: string | null
  merge_commit_sha?: string | null
  /** Base branch; default: the repository's default branch. */
  base?: string
  head_ref?: string
  /** `owner/repo` of the head; a different one makes it a fork pull request. */
  head_repo?: string
}

export interface SeedAsset {
  name: string
  data: Uint8Array | string
  content_type?: string
  label?: string
}

export interface SeedRelease {
  tag_name: string
  target_commitish?: string
  name?: string | null
  body?: string | null
  draft?: boolean
  prerelease?: boolean
  make_latest?: MakeLatest
  created_at?: string
  published_at?: string
  assets?: SeedAsset[]
}

export interface SeedRepo {
  owner: string
  repo: string
  default_branch?: string
  visibility?: Visibility
  /** Oldest first or in any order; parents must be listed or are created as bare stubs. */
  commits?: SeedCommit[]
  /** Branch name → head sha; the default branch defaults to the last commit listed. */
  branches?: Record<string, string>
  /** Lightweight tags: name → sha. */
  tags?: Record<string, string>
  /** Annotated tags: `refs/tags/<name>` points at a tag object, which points at the commit. */
  annotatedTags?: Record<string, SeedAnnotatedTag>
  /** The repository setting: releases published from now on lock their assets and tag. */
  immutableReleases?: boolean
  /** Discussion categories (GitHub's default set is Announcements, General, Ideas, …); none: off. */
  discussionCategories?: string[]
  pulls?: SeedPull[]
  releases?: SeedRelease[]
}

/** A deterministic 40-hex sha for a label, handy when seeding commits. */
export function fakeSha(label: string): string {
  return createHash('sha1').update(label).digest('hex')
}
