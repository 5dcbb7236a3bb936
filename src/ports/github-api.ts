// The GitHub port's interface, the values it speaks in, and how GitHub's answers become them;
// OctokitGitHub (github.ts) implements it.

export interface Release {
  readonly id: number
  readonly tagName: string
  readonly targetCommitish: string
  readonly draft: boolean
  readonly prerelease: boolean
  readonly htmlUrl: string
  readonly uploadUrl: string
  readonly body: string
  readonly createdAt: string
}

export interface Asset {
  readonly id: number
  readonly name: string
  readonly size: number
  readonly state: string
  /** sha256:<hex> where the API reports it. */
  readonly digest: string | undefined
}

export interface PullRequest {
  readonly number: number
  readonly labels: readonly string[]
  readonly mergedAt: string | undefined
  readonly mergeCommitSha: string | undefined
  readonly baseRef: string
}

/** A git tag and the commit it points at (annotated tags are followed to their commit). */
export interface GitTag {
  readonly name: string
  readonly commit: string
}

/** A commit of the repository's git database (the release lease is kept in such commits). */
export interface GitCommit {
  readonly sha: string
  readonly message: string
  readonly tree: string
  readonly parents: readonly string[]
}

export interface DraftRequest {
  readonly tag: string
  readonly commit: string
  readonly name: string
  readonly body: string
  readonly prerelease: boolean
}

/** The GitHub API, as the release needs it. */
export interface GitHub {
  /** Whether the token may push to the repository (write releases); undefined when GitHub does not say. */
  canWrite(): Promise<boolean | undefined>
  /** Every release, drafts included (drafts cannot be found by tag). */
  listReleases(): Promise<Release[]>
  /** The published release of a tag, or undefined. */
  publishedRelease(tag: string): Promise<Release | undefined>
  /** The git tags whose names start with a prefix, read through the API (a shallow checkout has none). */
  tagsWithPrefix(prefix: string): Promise<GitTag[]>
  /** The pull requests GitHub associates with a commit (the one merged as it, among others). */
  pullRequestsOfCommit(sha: string): Promise<PullRequest[]>
  /** The commit a git tag points at, or undefined when the tag does not exist. */
  tagCommit(tag: string): Promise<string | undefined>
  createDraft(request: DraftRequest): Promise<Release>
  /** Points a draft at the released commit and replaces its body. */
  updateDraft(
    id: number,
    update: { commit: string; body: string; prerelease: boolean },
  ): Promise<Release>
  publish(id: number, options: { prerelease: boolean; makeLatest: boolean }): Promise<Release>
  /** Marks a published Release as the repository's latest. */
  markLatest(id: number): Promise<Release>
  deleteRelease(id: number): Promise<void>
  listAssets(releaseId: number): Promise<Asset[]>
  uploadAsset(release: Release, name: string, data: Buffer, contentType: string): Promise<Asset>
  deleteAsset(id: number): Promise<void>
  /** GitHub's generated release notes for a tag at a commit. */
  generateNotes(tag: string, commit: string): Promise<string>
  /** The repository's default branch. */
  defaultBranch(): Promise<string>
  /** The commit a ref (refs/… of any namespace) points at, or undefined when there is none. */
  refTarget(ref: string): Promise<string | undefined>
  readCommit(sha: string): Promise<GitCommit>
  /** Stores a commit object (no ref moves); its sha. */
  createCommit(commit: Omit<GitCommit, 'sha'>): Promise<string>
  /** Creates a ref; false when it exists already (the API makes this atomic). */
  createRef(ref: string, sha: string): Promise<boolean>
  /** Moves a ref by fast-forward only; false when the ref has moved elsewhere meanwhile. */
  fastForwardRef(ref: string, sha: string): Promise<boolean>
}

/** GitHub's JSON, as far as the port reads it, and the port's values made from it. */
export type RawRelease = {
  id: number
  tag_name: string
  target_commitish: string
  draft: boolean
  prerelease: boolean
  html_url: string
  upload_url: string
  body?: string | null
  created_at: string
}

export const toRelease = (r: RawRelease): Release => ({
  id: r.id,
  tagName: r.tag_name,
  targetCommitish: r.target_commitish,
  draft: r.draft,
  prerelease: r.prerelease,
  htmlUrl: r.html_url,
  uploadUrl: r.upload_url,
  body: r.body ?? '',
  createdAt: r.created_at,
})

export type RawAsset = {
  id: number
  name: string
  size: number
  state: string
  digest?: string | null
}

export const toAsset = (a: RawAsset): Asset => ({
  id: a.id,
  name: a.name,
  size: a.size,
  state: a.state,
  digest: a.digest ?? undefined,
})

/** The status of a failed API call, when it was an HTTP answer. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

/** GitHub's own message for a failed call: status, message and validation errors. */
export function gitHubMessage(error: unknown): string {
  const e = error as { status?: number; message?: string; response?: { data?: unknown } }
  const data = e.response?.data as
    { message?: string; errors?: { code?: string; field?: string; message?: string }[] } | undefined
  const details = (data?.errors ?? [])
    .map((d) => d.message ?? [d.field, d.code].filter(Boolean).join(' '))
    .join(', ')
  const message = data?.message ?? e.message ?? String(error)
  return `${e.status ? `${e.status} ` : ''}${message}${details ? ` (${details})` : ''}`
}
