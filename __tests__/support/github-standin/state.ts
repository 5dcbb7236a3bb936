// The stand-in's world: repositories with a git database, pull requests, releases and assets, and
// the rules GitHub applies to them (tags made on publish, one published release per tag, Latest,
// immutable releases).
import { createHash, randomBytes } from 'node:crypto'
import semver from 'semver'
import { ApiError, customInvalid, unprocessable, validationFailed } from './errors.js'
import * as git from './git.js'
import type { Commit, GitDatabase, Identity, Signature, TagObject } from './git.js'
import type {
  MakeLatest,
  SeedAnnotatedTag,
  SeedCommit,
  SeedPull,
  SeedRelease,
  SeedRepo,
  Visibility,
} from './seeds.js'

export { ApiError, notFound, validationFailed } from './errors.js'
export type { Commit, TagObject } from './git.js'

/** `starter` is what GitHub documents an interrupted upload leaves behind. */
export type AssetState = 'uploaded' | 'open' | 'starter'

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
  /** Published while the repository had immutable releases on: assets and tag are locked for good. */
  immutable: boolean
  /** The category a discussion is opened in when the release is published (a draft waits). */
  discussionCategory: string | null
  /** The discussion linked to the release, once opened. */
  discussionUrl: string | null
}

/** Which release `/releases/latest` answers: one pinned by make_latest, else the legacy choice. */
type LatestPolicy = { kind: 'legacy' } | { kind: 'pinned'; id: number }

export interface Repo extends GitDatabase {
  readonly id: number
  readonly owner: string
  readonly name: string
  readonly fullName: string
  readonly defaultBranch: string
  readonly visibility: Visibility
  readonly createdAt: string
  readonly pulls: Pull[]
  readonly releases: Map<number, Release>
  latest: LatestPolicy
  /** The repository setting; it only affects releases published while it is on. */
  immutableReleases: boolean
  /** Tag name → the immutable release that locked it; outlives the release. */
  readonly lockedTags: Map<string, number>
  /** The repository's discussion categories; none: discussions are off. */
  discussionCategories: readonly string[]
  discussions: number
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
  discussion_category_name?: string
}

export interface NotesInput {
  tag_name: string
  target_commitish?: string
  previous_tag_name?: string
}

export interface CommitInput {
  message: string
  tree: string
  parents: readonly string[]
  author: Signature
  committer: Signature
}

/** What becomes of the Latest pointer after a create or update (GitHub's own decision table). */
type LatestDecision = 'pin' | 'keep' | 'legacy'

const DEFAULT_PERSON: Identity = { name: 'Mona Lisa', email: 'mona@example.com' }
const SEED_DATE = '2024-01-01T00:00:00Z'

/** GitHub's timestamp format: ISO 8601 to the second. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A tree sha for a seeded commit that names none: stable and distinct per commit. */
const derivedTree = (commit: string): string =>
  createHash('sha1').update(`tree:${commit}`).digest('hex')

// GitHub's words for a tag an immutable release locked (repository rule violations).
const LOCKED_TAG_DELETE =
  'Repository rule violations found\n\nCannot delete this tag. The tag is permanently locked.\n\n'
const LOCKED_TAG_UPDATE =
  'Repository rule violations found\n\nCannot update this tag. The tag is permanently locked.\n\n'

/** A version's order for the legacy Latest choice; names that are not versions sort lowest. */
function versionOf(tag: string): semver.SemVer | null {
  return semver.parse(tag, { loose: true })
}

function compareVersionsDescending(a: string, b: string): number {
  const va = versionOf(a)
  const vb = versionOf(b)
  if (va && vb) return semver.rcompare(va, vb)
  return Number(vb !== null) - Number(va !== null)
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
      trees: new Set(),
      tagObjects: new Map(),
      refs: new Map(),
      pulls: [],
      releases: new Map(),
      latest: { kind: 'legacy' },
      immutableReleases: seed.immutableReleases ?? false,
      lockedTags: new Map(),
      discussionCategories: seed.discussionCategories ?? [],
      discussions: 0,
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
    for (const [tag, annotated] of Object.entries(seed.annotatedTags ?? {})) {
      this.setAnnotatedTag(repo, tag, annotated)
    }
    for (const pull of seed.pulls ?? []) this.addPull(repo, pull)
    for (const release of seed.releases ?? []) this.seedRelease(repo, release)
    return repo
  }

  addCommit(repo: Repo, seed: SeedCommit): Commit {
    if (!git.SHA.test(seed.sha)) throw new Error(`stand-in: ${seed.sha} is not a 40-hex sha`)
    const date = seed.date ?? SEED_DATE
    const author = seed.author ?? DEFAULT_PERSON
    const commit: Commit = {
      sha: seed.sha,
      message: seed.message ?? `Commit ${seed.sha.slice(0, 7)}`,
      date,
      authorDate: date,
      parents: seed.parents ?? [],
      author,
      committer: author,
      tree: seed.tree ?? derivedTree(seed.sha),
    }
    repo.commits.set(commit.sha, commit)
    repo.trees.add(commit.tree)
    for (const parent of commit.parents) this.ensureCommit(repo, parent)
    return commit
  }

  /** A sha referenced by a seed but never described becomes a bare root commit. */
  private ensureCommit(repo: Repo, sha: string): void {
    if (git.objectType(repo, sha) === undefined) this.addCommit(repo, { sha })
  }

  /** Seeding: points a ref at any object, bypassing the API's rules. */
  setRef(repo: Repo, ref: string, sha: string): void {
    this.ensureCommit(repo, sha)
    repo.refs.set(ref, sha)
  }

  /** Seeding: an annotated tag (tag object plus `refs/tags/<tag>`), returning the tag object. */
  setAnnotatedTag(repo: Repo, tag: string, seed: SeedAnnotatedTag): TagObject {
    this.ensureCommit(repo, seed.sha)
    const object = this.storeTagObject(repo, {
      tag,
      message: seed.message ?? `Release ${tag}`,
      object: seed.sha,
      type: 'commit',
      tagger: seed.tagger ?? { ...DEFAULT_PERSON, date: SEED_DATE },
    })
    repo.refs.set(`refs/tags/${tag}`, object.sha)
    return object
  }

  private storeTagObject(repo: Repo, fields: Omit<TagObject, 'sha'>): TagObject {
    const object: TagObject = { ...fields, sha: git.tagSha(fields) }
    repo.tagObjects.set(object.sha, object)
    return object
  }

  /** `POST /git/tags`: a tag object only; the ref that makes it a tag is a separate call. */
  createTagObject(
    repo: Repo,
    input: { tag: string; message: string; object: string; tagger: Signature },
  ): TagObject {
    if (!git.validRefName(input.tag)) throw unprocessable('Could not verify tag name')
    // GitHub ignores the `type` sent and records the tagged object's own type.
    const type = git.objectType(repo, input.object)
    if (type === undefined) throw unprocessable('Could not verify object')
    return this.storeTagObject(repo, { ...input, type })
  }

  /** `POST /git/commits`: a new commit object on an existing tree and existing parents. */
  createCommit(repo: Repo, input: CommitInput): Commit {
    const treeType = git.objectType(repo, input.tree)
    if (treeType === undefined) throw unprocessable('Tree SHA does not exist')
    if (treeType !== 'tree') throw unprocessable('Tree SHA is not a tree object')
    if (input.parents.some((p) => !git.SHA.test(p))) {
      throw unprocessable(
        "Each SHA in the 'parents' parameter must be exactly 40 characters and contain only [0-9a-f].",
      )
    }
    if (input.parents.some((p) => !repo.commits.has(p))) {
      throw unprocessable('Parent SHA does not exist or is not a commit object')
    }
    const fields: Omit<Commit, 'sha'> = {
      message: input.message,
      tree: input.tree,
      parents: [...input.parents],
      author: { name: input.author.name, email: input.author.email },
      authorDate: input.author.date,
      committer: { name: input.committer.name, email: input.committer.email },
      date: input.committer.date,
    }
    const commit: Commit = { ...fields, sha: git.commitSha(fields) }
    repo.commits.set(commit.sha, commit)
    return commit
  }

  createRef(repo: Repo, ref: string, sha: string): void {
    git.createRef(repo, ref, sha)
  }

  /** `PATCH /git/refs/{ref}`: compare-and-swap unless forced; tags of immutable releases stay. */
  updateRef(repo: Repo, ref: string, sha: string, force: boolean): void {
    const current = git.existingRef(repo, ref)
    if (this.lockedTag(repo, ref) && current !== sha) throw unprocessable(LOCKED_TAG_UPDATE)
    git.updateRef(repo, ref, sha, force)
  }

  /** `DELETE /git/refs/{ref}`: a published release whose tag goes becomes a draft again. */
  deleteRef(repo: Repo, ref: string): void {
    git.existingRef(repo, ref)
    if (ref === `refs/heads/${repo.defaultBranch}`) {
      throw unprocessable('Cannot delete the default branch')
    }
    if (this.lockedTag(repo, ref)) throw unprocessable(LOCKED_TAG_DELETE)
    git.deleteRef(repo, ref)
    if (!ref.startsWith('refs/tags/')) return
    const tag = ref.slice('refs/tags/'.length)
    for (const release of repo.releases.values()) {
      if (release.tagName !== tag || release.draft) continue
      release.draft = true
      release.publishedAt = null
      release.updatedAt = this.now()
    }
  }

  private lockedTag(repo: Repo, ref: string): boolean {
    return ref.startsWith('refs/tags/') && repo.lockedTags.has(ref.slice('refs/tags/'.length))
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
      createdAt: merged ?? SEED_DATE,
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
    // Seeded assets were in place before publishing, so immutability does not refuse them.
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

  /** A branch, tag, full ref, full sha or unique sha prefix → the commit it names (peeled). */
  resolveCommitish(repo: Repo, ref: string): string | undefined {
    const direct =
      repo.refs.get(ref) ?? repo.refs.get(`refs/heads/${ref}`) ?? repo.refs.get(`refs/tags/${ref}`)
    if (direct) return git.peel(repo, direct)
    if (git.objectType(repo, ref) !== undefined) return git.peel(repo, ref)
    if (!/^[0-9a-f]{4,39}$/.test(ref)) return undefined
    const candidates = [...repo.commits.keys()].filter((sha) => sha.startsWith(ref))
    return candidates.length === 1 ? candidates[0] : undefined
  }

  ancestors(repo: Repo, sha: string): Set<string> {
    return git.ancestors(repo, sha)
  }

  /** Commits reachable from `sha`, newest committer date first (git log's default order). */
  history(repo: Repo, sha: string): Commit[] {
    return [...git.ancestors(repo, sha)]
      .map((s) => repo.commits.get(s))
      .filter((c): c is Commit => c !== undefined)
      .sort((a, b) => b.date.localeCompare(a.date))
  }

  /** GitHub: the merged PR that introduced a commit; off the default branch, open ones too. */
  pullsForCommit(repo: Repo, sha: string): Pull[] {
    const head = this.resolveCommitish(repo, `refs/heads/${repo.defaultBranch}`)
    const onDefault = head !== undefined && git.ancestors(repo, head).has(sha)
    return repo.pulls
      .filter((p) => p.commits.includes(sha) || p.mergeCommitSha === sha)
      .filter((p) => p.mergedAt !== null || (!onDefault && p.state === 'open'))
      .sort((a, b) => b.number - a.number)
  }

  /** The commit a tag names, through its tag object when it is annotated. */
  tagCommit(repo: Repo, tag: string): string | undefined {
    const sha = repo.refs.get(`refs/tags/${tag}`)
    return sha === undefined ? undefined : git.peel(repo, sha)
  }

  private tagExists(repo: Repo, tag: string): boolean {
    return repo.refs.has(`refs/tags/${tag}`)
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

  /** The pinned release while it is eligible, else GitHub's legacy choice: newest, then highest. */
  latestRelease(repo: Repo): Release | undefined {
    const eligible = [...repo.releases.values()].filter((r) => !r.draft && !r.prerelease)
    const { latest } = repo
    const pinned = latest.kind === 'pinned' ? eligible.find((r) => r.id === latest.id) : undefined
    if (pinned) return pinned
    return eligible.sort(
      (a, b) =>
        b.createdAt.localeCompare(a.createdAt) ||
        compareVersionsDescending(a.tagName, b.tagName) ||
        b.id - a.id,
    )[0]
  }

  createRelease(repo: Repo, input: ReleaseInput, createdAt?: string): Release {
    const tag = input.tag_name ?? ''
    if (tag === '') throw validationFailed('Release', 'missing_field', 'tag_name')
    if (!git.validRefName(tag)) throw validationFailed('Release', 'invalid', 'tag_name')
    const draft = input.draft ?? false
    const target = input.target_commitish ?? repo.defaultBranch
    this.checkTarget(repo, tag, target)
    if (!draft && this.publishedByTag(repo, tag)) {
      throw validationFailed('Release', 'already_exists', 'tag_name')
    }
    if (!draft) this.checkTagNotLocked(repo, tag, undefined)
    const decision = this.latestDecision(input, undefined)
    const category = this.discussionCategory(repo, input.discussion_category_name)
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
      body: checkBody(joinBody(input.body, generated?.body)),
      draft,
      prerelease: input.prerelease ?? false,
      createdAt: createdAt ?? now,
      publishedAt: null,
      updatedAt: now,
      untagged: `untagged-${randomBytes(10).toString('hex')}`,
      assets: [],
      immutable: false,
      discussionCategory: category ?? null,
      discussionUrl: null,
    }
    repo.releases.set(release.id, release)
    this.releaseIndex.set(release.id, release)
    if (!draft) this.publish(release)
    this.applyLatest(release, decision)
    return release
  }

  updateRelease(release: Release, input: ReleaseInput): void {
    const repo = release.repo
    const tag = input.tag_name ?? release.tagName
    if (!git.validRefName(tag)) throw validationFailed('Release', 'invalid', 'tag_name')
    const target = input.target_commitish ?? release.targetCommitish
    const draft = input.draft ?? release.draft
    const prerelease = input.prerelease ?? release.prerelease
    this.checkTarget(repo, tag, target)
    if (release.immutable) this.checkImmutableEdit(release, tag, draft)
    const other = this.publishedByTag(repo, tag)
    if (!draft && other && other.id !== release.id) {
      throw validationFailed('Release', 'already_exists', 'tag_name')
    }
    const decision = this.latestDecision(input, release)
    if (decision === 'pin' && (draft || prerelease)) {
      throw customInvalid('Release', 'Latest release cannot be draft or prerelease.')
    }
    if (!draft) this.checkTagNotLocked(repo, tag, release.id)
    // GitHub ignores the category once a discussion is linked to the release.
    const category =
      release.discussionUrl === null
        ? this.discussionCategory(repo, input.discussion_category_name)
        : undefined
    if (input.body !== undefined) checkBody(input.body)
    const publishing = release.draft && !draft
    release.tagName = tag
    release.targetCommitish = target
    if (input.name !== undefined) release.name = input.name
    if (input.body !== undefined) release.body = input.body
    if (category !== undefined) release.discussionCategory = category
    release.prerelease = prerelease
    release.draft = draft
    release.updatedAt = this.now()
    if (draft) release.publishedAt = null
    else if (publishing) this.publish(release)
    // A published release may have been renamed to a tag that does not exist yet.
    else this.ensureTag(release)
    this.applyLatest(release, decision)
  }

  deleteRelease(release: Release): void {
    // The tag stays, and so does the lock an immutable release put on it.
    release.repo.releases.delete(release.id)
    this.releaseIndex.delete(release.id)
    for (const asset of release.assets) this.assetIndex.delete(asset.id)
  }

  /**
   * GitHub's make_latest rules: `legacy` unpins; a request that sets draft or prerelease never
   * pins; otherwise an explicit value wins, and the default pins only a release being published
   * (created or turned from a draft) as a full release.
   */
  private latestDecision(input: ReleaseInput, release: Release | undefined): LatestDecision {
    if (input.make_latest === 'legacy') return 'legacy'
    if (input.draft === true || input.prerelease === true) return 'keep'
    const publishing = input.draft === false
    const byDefault = !(
      release &&
      (!release.draft || release.prerelease || (release.draft && !publishing))
    )
    const pin = input.make_latest === undefined ? byDefault : input.make_latest === 'true'
    return pin ? 'pin' : 'keep'
  }

  private applyLatest(release: Release, decision: LatestDecision): void {
    if (decision === 'pin') release.repo.latest = { kind: 'pinned', id: release.id }
    else if (decision === 'legacy') release.repo.latest = { kind: 'legacy' }
  }

  /** What GitHub still refuses on a published immutable release: unpublishing, another tag. */
  private checkImmutableEdit(release: Release, tag: string, draft: boolean): void {
    if (draft) {
      throw customInvalid('Release', 'state cannot be changed when release is immutable', 'state')
    }
    if (tag !== release.tagName) {
      throw customInvalid(
        'Release',
        'tag_name cannot be changed when release is immutable',
        'tag_name',
      )
    }
  }

  /** A tag an immutable release used cannot be published again by another release. */
  private checkTagNotLocked(repo: Repo, tag: string, releaseId: number | undefined): void {
    const owner = repo.lockedTags.get(tag)
    if (owner !== undefined && owner !== releaseId) {
      throw customInvalid('Release', 'tag_name was used by an immutable release', 'tag_name')
    }
  }

  /** A target only matters (and must resolve) when the tag does not exist yet. */
  private checkTarget(repo: Repo, tag: string, target: string): void {
    if (!this.tagExists(repo, tag) && this.resolveCommitish(repo, target) === undefined) {
      throw validationFailed('Release', 'invalid', 'target_commitish')
    }
  }

  private ensureTag(release: Release): void {
    const repo = release.repo
    if (this.tagExists(repo, release.tagName)) return
    const sha = this.resolveCommitish(repo, release.targetCommitish)
    if (sha === undefined) throw validationFailed('Release', 'invalid', 'target_commitish')
    repo.refs.set(`refs/tags/${release.tagName}`, sha)
  }

  /**
   * The category a request names, which must exist in the repository: GitHub answers 404 for
   * one that does not (and for a token without discussions: write).
   */
  private discussionCategory(repo: Repo, name: string | undefined): string | undefined {
    if (name === undefined) return undefined
    if (!repo.discussionCategories.includes(name)) {
      throw new ApiError(404, {
        message: 'Discussion could not be created. Make sure you passed a valid category name.',
      })
    }
    return name
  }

  private publish(release: Release): void {
    this.ensureTag(release)
    release.publishedAt = this.now()
    // A draft's discussion is opened when it is published.
    if (release.discussionCategory !== null && release.discussionUrl === null) {
      release.repo.discussions += 1
      release.discussionUrl = `${this.serverUrl}/${release.repo.fullName}/discussions/${release.repo.discussions}`
    }
    if (!release.repo.immutableReleases) return
    release.immutable = true
    release.repo.lockedTags.set(release.tagName, release.id)
  }

  asset(id: number): Asset | undefined {
    return this.assetIndex.get(id)
  }

  /** Seeding and fault injection: adds an asset whatever the release's state. */
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

  /** An upload through the API: an immutable release takes no new asset. */
  uploadAsset(
    release: Release,
    input: Pick<Asset, 'name' | 'label' | 'contentType' | 'bytes' | 'state'>,
  ): Asset {
    if (release.immutable) throw unprocessable('Cannot upload assets to an immutable release.')
    return this.addAsset(release, input)
  }

  /** `PATCH /releases/assets/{id}`: rename, relabel, or mark a starter upload complete. */
  updateAsset(asset: Asset, input: { name?: string; label?: string; state?: string }): void {
    if (asset.release.immutable) {
      throw customInvalid('ReleaseAsset', 'Cannot update asset from an immutable release')
    }
    const name = input.name ?? asset.name
    if (asset.release.assets.some((a) => a !== asset && a.name === name)) {
      throw validationFailed('ReleaseAsset', 'already_exists', 'name')
    }
    asset.name = name
    if (input.label !== undefined) asset.label = input.label
    if (asset.state === 'starter' && input.state === 'uploaded') asset.state = 'uploaded'
    asset.updatedAt = this.now()
  }

  deleteAsset(asset: Asset): void {
    if (asset.release.immutable) {
      throw customInvalid('ReleaseAsset', 'Cannot delete asset from an immutable release')
    }
    const list = asset.release.assets
    list.splice(list.indexOf(asset), 1)
    this.assetIndex.delete(asset.id)
  }

  /** GitHub's default notes: merged PRs between the previous release's tag and this one. */
  generateNotes(repo: Repo, input: NotesInput): { name: string; body: string } {
    const head =
      this.tagCommit(repo, input.tag_name) ??
      this.resolveCommitish(repo, input.target_commitish ?? repo.defaultBranch)
    if (head === undefined) throw validationFailed('Release', 'invalid', 'target_commitish')
    const reachable = git.ancestors(repo, head)
    const previous =
      input.previous_tag_name ?? this.previousReleaseTag(repo, input.tag_name, reachable)
    const previousSha = previous === undefined ? undefined : this.tagCommit(repo, previous)
    const excluded =
      previousSha === undefined ? new Set<string>() : git.ancestors(repo, previousSha)
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
      .map((r) => ({ tag: r.tagName, sha: this.tagCommit(repo, r.tagName) }))
      .filter((t) => t.sha !== undefined && reachable.has(t.sha))
      .map((t) => ({ tag: t.tag, date: repo.commits.get(t.sha ?? '')?.date ?? '' }))
      .sort((a, b) => b.date.localeCompare(a.date))[0]?.tag
  }
}

/** GitHub refuses a body over 125,000 characters (it counts code points). */
function checkBody<T extends string | null>(body: T): T {
  if (body !== null && Array.from(body).length > 125_000) {
    throw customInvalid('Release', 'body is too long (maximum is 125000 characters)', 'body')
  }
  return body
}

function joinBody(body: string | undefined, generated: string | undefined): string | null {
  if (body !== undefined && generated !== undefined) return `${body}\n\n${generated}`
  return body ?? generated ?? null
}
