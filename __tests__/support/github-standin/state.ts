// The stand-in's world: repositories with a commit graph, refs, pull requests, releases and
// assets, and the rules GitHub applies to them (tags made on publish, one published release per tag).
import { randomBytes } from 'node:crypto'
import type {
  MakeLatest,
  SeedCommit,
  SeedPull,
  SeedRelease,
  SeedRepo,
  Visibility,
} from './seeds.js'

/** `starter` is what GitHub documents an interrupted upload leaves behind. */
export type AssetState = 'uploaded' | 'open' | 'starter'

export interface Commit {
  readonly sha: string
  readonly message: string
  readonly date: string
  readonly parents: readonly string[]
  readonly author: { readonly name: string; readonly email: string }
}

export interface Pull {
  readonly number: number
  readonly title: string
  readonly user: string
  readonly body: string | null
  readonly labels: readonly string[]
  readonly state: 'open' | 'closed'
  readonly mergedAt: string | null
  readonly mergeCommitSha: string | null
  readonly base: string
  readonly headRef: string
  readonly headRepo: string
  readonly commits: readonly string[]
  readonly createdAt: string
}

export interface Asset {
  readonly id: number
  readonly release: Release
  name: string
  label: string | null
  contentType: string
  bytes: Buffer
  state: AssetState
  downloadCount: number
  readonly createdAt: string
  updatedAt: string
}

export interface Release {
  readonly id: number
  readonly repo: Repo
  tagName: string
  targetCommitish: string
  name: string | null
  body: string | null
  draft: boolean
  prerelease: boolean
  readonly createdAt: string
  publishedAt: string | null
  updatedAt: string
  /** GitHub's `untagged-…` name for a draft, stable for the draft's life. */
  readonly untagged: string
  readonly assets: Asset[]
  /** make_latest asked for while still a draft, applied when published. */
  makeLatestOnPublish: MakeLatest | undefined
}

/** Which release `/releases/latest` answers: the newest eligible one, or one pinned by make_latest. */
type LatestPolicy = { kind: 'legacy' } | { kind: 'pinned'; id: number | null }

export interface Repo {
  readonly id: number
  readonly owner: string
  readonly name: string
  readonly fullName: string
  readonly defaultBranch: string
  readonly visibility: Visibility
  readonly createdAt: string
  readonly commits: Map<string, Commit>
  /** Full ref name (`refs/heads/main`, `refs/tags/v1.0.0`) → sha. */
  readonly refs: Map<string, string>
  readonly pulls: Pull[]
  readonly releases: Map<number, Release>
  latest: LatestPolicy
}

/** An error GitHub would answer with: status and JSON body (documentation_url added later). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`)
  }
}

export const notFound = (): ApiError => new ApiError(404, { message: 'Not Found' })

export function validationFailed(resource: string, code: string, field: string): ApiError {
  return new ApiError(422, { message: 'Validation Failed', errors: [{ resource, code, field }] })
}

export interface ReleaseInput {
  tag_name?: string
  target_commitish?: string
  name?: string
  body?: string
  draft?: boolean
  prerelease?: boolean
  make_latest?: MakeLatest
  generate_release_notes?: boolean
}

export interface NotesInput {
  tag_name: string
  target_commitish?: string
  previous_tag_name?: string
}

const SHA = /^[0-9a-f]{40}$/

/** GitHub's timestamp format: ISO 8601 to the second. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Git's ref-name rules, the subset that matters for tag names. */
function validRefName(name: string): boolean {
  return (
    name.length > 0 &&
    !/[\s~^:?*[\\\p{Cc}]/u.test(name) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.startsWith('/') &&
    !name.endsWith('/') &&
    !name.endsWith('.') &&
    !name.endsWith('.lock') &&
    !name.split('/').some((part) => part === '' || part.startsWith('.'))
  )
}

export class World {
  private readonly repos = new Map<string, Repo>()
  private readonly releaseIndex = new Map<number, Release>()
  private readonly assetIndex = new Map<number, Asset>()
  // Distinct id ranges make a release id passed where an asset id belongs fail loudly.
  private nextRepoId = 7_000_001
  private nextReleaseId = 100_001
  private nextAssetId = 500_001

  constructor(
    private readonly clock: () => Date,
    private readonly serverUrl: string,
  ) {}

  now(): string {
    return isoSeconds(this.clock())
  }

  repo(owner: string, name: string): Repo | undefined {
    // Owner and repository names are case-insensitive on GitHub.
    return this.repos.get(`${owner}/${name}`.toLowerCase())
  }

  requireRepo(owner: string, name: string): Repo {
    const repo = this.repo(owner, name)
    if (!repo) throw new Error(`stand-in: no seeded repository ${owner}/${name}`)
    return repo
  }

  addRepo(seed: SeedRepo): Repo {
    const fullName = `${seed.owner}/${seed.repo}`
    if (this.repos.has(fullName.toLowerCase())) {
      throw new Error(`stand-in: ${fullName} seeded twice`)
    }
    const repo: Repo = {
      id: this.nextRepoId++,
      owner: seed.owner,
      name: seed.repo,
      fullName,
      defaultBranch: seed.default_branch ?? 'main',
      visibility: seed.visibility ?? 'public',
      createdAt: '2020-01-01T00:00:00Z',
      commits: new Map(),
      refs: new Map(),
      pulls: [],
      releases: new Map(),
      latest: { kind: 'legacy' },
    }
    this.repos.set(fullName.toLowerCase(), repo)
    for (const commit of seed.commits ?? []) this.addCommit(repo, commit)
    const last = seed.commits?.at(-1)
    if (last && !seed.branches?.[repo.defaultBranch]) {
      this.setRef(repo, `refs/heads/${repo.defaultBranch}`, last.sha)
    }
    for (const [branch, sha] of Object.entries(seed.branches ?? {})) {
      this.setRef(repo, `refs/heads/${branch}`, sha)
    }
    for (const [tag, sha] of Object.entries(seed.tags ?? {})) {
      this.setRef(repo, `refs/tags/${tag}`, sha)
    }
    for (const pull of seed.pulls ?? []) this.addPull(repo, pull)
    for (const release of seed.releases ?? []) this.seedRelease(repo, release)
    return repo
  }

  addCommit(repo: Repo, seed: SeedCommit): Commit {
    if (!SHA.test(seed.sha)) throw new Error(`stand-in: ${seed.sha} is not a 40-hex sha`)
    const commit: Commit = {
      sha: seed.sha,
      message: seed.message ?? `Commit ${seed.sha.slice(0, 7)}`,
      date: seed.date ?? '2024-01-01T00:00:00Z',
      parents: seed.parents ?? [],
      author: seed.author ?? { name: 'Mona Lisa', email: 'mona@example.com' },
    }
    repo.commits.set(commit.sha, commit)
    for (const parent of commit.parents) this.ensureCommit(repo, parent)
    return commit
  }

  /** A sha referenced by a seed but never described becomes a bare root commit. */
  private ensureCommit(repo: Repo, sha: string): void {
    if (!repo.commits.has(sha)) this.addCommit(repo, { sha })
  }

  setRef(repo: Repo, ref: string, sha: string): void {
    this.ensureCommit(repo, sha)
    repo.refs.set(ref, sha)
  }

  addPull(repo: Repo, seed: SeedPull): Pull {
    for (const sha of seed.commits) this.ensureCommit(repo, sha)
    const merged = seed.merged_at ?? null
    const pull: Pull = {
      number: seed.number,
      title: seed.title ?? `Pull request #${seed.number}`,
      user: seed.user ?? 'octocat',
      body: seed.body ?? null,
      labels: seed.labels ?? [],
      state: seed.state ?? (merged ? 'closed' : 'open'),
      mergedAt: merged,
      mergeCommitSha: seed.merge_commit_sha ?? seed.commits.at(-1) ?? null,
      base: seed.base ?? repo.defaultBranch,
      headRef: seed.head_ref ?? `feature-${seed.number}`,
      headRepo: seed.head_repo ?? repo.fullName,
      commits: seed.commits,
      createdAt: merged ?? '2024-01-01T00:00:00Z',
    }
    repo.pulls.push(pull)
    return pull
  }

  seedRelease(repo: Repo, seed: SeedRelease): Release {
    try {
      return this.seedReleaseUnchecked(repo, seed)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      const why = JSON.stringify(error.body)
      throw new Error(`stand-in: cannot seed release ${seed.tag_name} in ${repo.fullName}: ${why}`)
    }
  }

  private seedReleaseUnchecked(repo: Repo, seed: SeedRelease): Release {
    const release = this.createRelease(
      repo,
      {
        tag_name: seed.tag_name,
        ...(seed.target_commitish !== undefined && { target_commitish: seed.target_commitish }),
        ...(seed.name != null && { name: seed.name }),
        ...(seed.body != null && { body: seed.body }),
        draft: seed.draft ?? false,
        prerelease: seed.prerelease ?? false,
        ...(seed.make_latest && { make_latest: seed.make_latest }),
      },
      seed.created_at,
    )
    if (seed.published_at && !release.draft) release.publishedAt = seed.published_at
    for (const asset of seed.assets ?? []) {
      this.addAsset(release, {
        name: asset.name,
        label: asset.label ?? null,
        contentType: asset.content_type ?? 'application/octet-stream',
        bytes: Buffer.from(asset.data),
        state: 'uploaded',
      })
    }
    return release
  }

  /** A branch, tag, full ref, full sha or unique sha prefix → the commit it names. */
  resolveCommitish(repo: Repo, ref: string): string | undefined {
    const direct =
      repo.refs.get(ref) ?? repo.refs.get(`refs/heads/${ref}`) ?? repo.refs.get(`refs/tags/${ref}`)
    if (direct) return direct
    if (repo.commits.has(ref)) return ref
    if (!/^[0-9a-f]{4,39}$/.test(ref)) return undefined
    const candidates = [...repo.commits.keys()].filter((sha) => sha.startsWith(ref))
    return candidates.length === 1 ? candidates[0] : undefined
  }

  /** The commit and all its ancestors. */
  ancestors(repo: Repo, sha: string): Set<string> {
    const seen = new Set<string>()
    const stack = [sha]
    while (stack.length > 0) {
      const next = stack.pop() ?? ''
      if (seen.has(next)) continue
      seen.add(next)
      stack.push(...(repo.commits.get(next)?.parents ?? []))
    }
    return seen
  }

  /** Commits reachable from `sha`, newest committer date first (git log's default order). */
  history(repo: Repo, sha: string): Commit[] {
    return [...this.ancestors(repo, sha)]
      .map((s) => repo.commits.get(s))
      .filter((c): c is Commit => c !== undefined)
      .sort((a, b) => b.date.localeCompare(a.date))
  }

  /** GitHub: the merged PR that introduced a commit; off the default branch, open ones too. */
  pullsForCommit(repo: Repo, sha: string): Pull[] {
    const head = repo.refs.get(`refs/heads/${repo.defaultBranch}`)
    const onDefault = head !== undefined && this.ancestors(repo, head).has(sha)
    return repo.pulls
      .filter((p) => p.commits.includes(sha) || p.mergeCommitSha === sha)
      .filter((p) => p.mergedAt !== null || (!onDefault && p.state === 'open'))
      .sort((a, b) => b.number - a.number)
  }

  tagSha(repo: Repo, tag: string): string | undefined {
    return repo.refs.get(`refs/tags/${tag}`)
  }

  release(id: number): Release | undefined {
    return this.releaseIndex.get(id)
  }

  /** Newest first, as GitHub lists them (drafts included for a caller with push access). */
  listReleases(repo: Repo): Release[] {
    return [...repo.releases.values()].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id,
    )
  }

  /** The published release of a tag; drafts are invisible by tag. */
  publishedByTag(repo: Repo, tag: string): Release | undefined {
    return [...repo.releases.values()].find((r) => !r.draft && r.tagName === tag)
  }

  latestRelease(repo: Repo): Release | undefined {
    const eligible = this.listReleases(repo).filter((r) => !r.draft && !r.prerelease)
    if (repo.latest.kind === 'pinned') {
      const pinned = repo.latest.id
      const found = eligible.find((r) => r.id === pinned)
      if (found) return found
      if (pinned === null) return undefined
    }
    return eligible[0]
  }

  createRelease(repo: Repo, input: ReleaseInput, createdAt?: string): Release {
    const tag = input.tag_name ?? ''
    if (tag === '') throw validationFailed('Release', 'missing_field', 'tag_name')
    if (!validRefName(tag)) throw validationFailed('Release', 'invalid', 'tag_name')
    const draft = input.draft ?? false
    const target = input.target_commitish ?? repo.defaultBranch
    this.checkTarget(repo, tag, target)
    if (!draft && this.publishedByTag(repo, tag)) {
      throw validationFailed('Release', 'already_exists', 'tag_name')
    }
    const generated = input.generate_release_notes
      ? this.generateNotes(repo, { tag_name: tag, target_commitish: target })
      : undefined
    const now = this.now()
    const release: Release = {
      id: this.nextReleaseId++,
      repo,
      tagName: tag,
      targetCommitish: target,
      name: input.name ?? generated?.name ?? null,
      body: joinBody(input.body, generated?.body),
      draft,
      prerelease: input.prerelease ?? false,
      createdAt: createdAt ?? now,
      publishedAt: null,
      updatedAt: now,
      untagged: `untagged-${randomBytes(10).toString('hex')}`,
      assets: [],
      makeLatestOnPublish: draft ? input.make_latest : undefined,
    }
    const latestBefore = this.latestRelease(repo)
    repo.releases.set(release.id, release)
    this.releaseIndex.set(release.id, release)
    if (!draft) this.publish(release, input.make_latest ?? 'true', latestBefore)
    return release
  }

  updateRelease(release: Release, input: ReleaseInput): void {
    const repo = release.repo
    const tag = input.tag_name ?? release.tagName
    if (!validRefName(tag)) throw validationFailed('Release', 'invalid', 'tag_name')
    const target = input.target_commitish ?? release.targetCommitish
    const draft = input.draft ?? release.draft
    this.checkTarget(repo, tag, target)
    const other = this.publishedByTag(repo, tag)
    if (!draft && other && other.id !== release.id) {
      throw validationFailed('Release', 'already_exists', 'tag_name')
    }
    const latestBefore = this.latestRelease(repo)
    const publishing = release.draft && !draft
    release.tagName = tag
    release.targetCommitish = target
    if (input.name !== undefined) release.name = input.name
    if (input.body !== undefined) release.body = input.body
    if (input.prerelease !== undefined) release.prerelease = input.prerelease
    release.draft = draft
    release.updatedAt = this.now()
    if (draft) {
      release.publishedAt = null
      if (input.make_latest) release.makeLatestOnPublish = input.make_latest
    } else if (publishing) {
      this.publish(
        release,
        input.make_latest ?? release.makeLatestOnPublish ?? 'true',
        latestBefore,
      )
    } else {
      // A published release may have been renamed to a tag that does not exist yet.
      this.ensureTag(release)
      if (input.make_latest) this.applyMakeLatest(release, input.make_latest, latestBefore)
    }
  }

  deleteRelease(release: Release): void {
    release.repo.releases.delete(release.id)
    this.releaseIndex.delete(release.id)
    for (const asset of release.assets) this.assetIndex.delete(asset.id)
  }

  /** A target only matters (and must resolve) when the tag does not exist yet. */
  private checkTarget(repo: Repo, tag: string, target: string): void {
    if (this.tagSha(repo, tag) === undefined && this.resolveCommitish(repo, target) === undefined) {
      throw validationFailed('Release', 'invalid', 'target_commitish')
    }
  }

  private ensureTag(release: Release): void {
    const repo = release.repo
    if (this.tagSha(repo, release.tagName) !== undefined) return
    const sha = this.resolveCommitish(repo, release.targetCommitish)
    if (sha === undefined) throw validationFailed('Release', 'invalid', 'target_commitish')
    repo.refs.set(`refs/tags/${release.tagName}`, sha)
  }

  private publish(
    release: Release,
    makeLatest: MakeLatest,
    latestBefore: Release | undefined,
  ): void {
    this.ensureTag(release)
    release.publishedAt = this.now()
    release.makeLatestOnPublish = undefined
    this.applyMakeLatest(release, makeLatest, latestBefore)
  }

  private applyMakeLatest(
    release: Release,
    makeLatest: MakeLatest,
    latestBefore: Release | undefined,
  ): void {
    // Drafts and prereleases cannot be latest.
    if (release.draft || release.prerelease) return
    const repo = release.repo
    if (makeLatest === 'true') repo.latest = { kind: 'pinned', id: release.id }
    else if (makeLatest === 'legacy') repo.latest = { kind: 'legacy' }
    else {
      const keep = latestBefore?.id === release.id ? undefined : latestBefore
      repo.latest = { kind: 'pinned', id: keep?.id ?? null }
    }
  }

  asset(id: number): Asset | undefined {
    return this.assetIndex.get(id)
  }

  addAsset(
    release: Release,
    input: Pick<Asset, 'name' | 'label' | 'contentType' | 'bytes' | 'state'>,
  ): Asset {
    if (release.assets.some((a) => a.name === input.name)) {
      throw validationFailed('ReleaseAsset', 'already_exists', 'name')
    }
    const now = this.now()
    const asset: Asset = {
      ...input,
      id: this.nextAssetId++,
      release,
      downloadCount: 0,
      createdAt: now,
      updatedAt: now,
    }
    release.assets.push(asset)
    this.assetIndex.set(asset.id, asset)
    return asset
  }

  deleteAsset(asset: Asset): void {
    const list = asset.release.assets
    list.splice(list.indexOf(asset), 1)
    this.assetIndex.delete(asset.id)
  }

  /** GitHub's default notes: merged PRs between the previous release's tag and this one. */
  generateNotes(repo: Repo, input: NotesInput): { name: string; body: string } {
    const head =
      this.tagSha(repo, input.tag_name) ??
      this.resolveCommitish(repo, input.target_commitish ?? repo.defaultBranch)
    if (head === undefined) throw validationFailed('Release', 'invalid', 'target_commitish')
    const reachable = this.ancestors(repo, head)
    const previous =
      input.previous_tag_name ?? this.previousReleaseTag(repo, input.tag_name, reachable)
    const previousSha = previous === undefined ? undefined : this.tagSha(repo, previous)
    const excluded =
      previousSha === undefined ? new Set<string>() : this.ancestors(repo, previousSha)
    const pulls = new Map<number, Pull>()
    for (const sha of reachable) {
      if (excluded.has(sha)) continue
      for (const pull of this.pullsForCommit(repo, sha)) pulls.set(pull.number, pull)
    }
    const web = `${this.serverUrl}/${repo.fullName}`
    const lines = [...pulls.values()]
      .sort((a, b) => (a.mergedAt ?? '').localeCompare(b.mergedAt ?? '') || a.number - b.number)
      .map((p) => `* ${p.title} by @${p.user} in ${web}/pull/${p.number}`)
    const changed = lines.length > 0 ? `## What's Changed\n${lines.join('\n')}\n\n\n` : ''
    const full =
      previous === undefined
        ? `${web}/commits/${input.tag_name}`
        : `${web}/compare/${previous}...${input.tag_name}`
    return { name: input.tag_name, body: `${changed}**Full Changelog**: ${full}` }
  }

  /** The newest published release whose tag is an ancestor of the new release's commit. */
  private previousReleaseTag(repo: Repo, tag: string, reachable: Set<string>): string | undefined {
    return this.listReleases(repo)
      .filter((r) => !r.draft && r.tagName !== tag)
      .map((r) => ({ tag: r.tagName, sha: this.tagSha(repo, r.tagName) }))
      .filter((t) => t.sha !== undefined && reachable.has(t.sha))
      .map((t) => ({ tag: t.tag, date: repo.commits.get(t.sha ?? '')?.date ?? '' }))
      .sort((a, b) => b.date.localeCompare(a.date))[0]?.tag
  }
}

function joinBody(body: string | undefined, generated: string | undefined): string | null {
  if (body !== undefined && generated !== undefined) return `${body}\n\n${generated}`
  return body ?? generated ?? null
}
