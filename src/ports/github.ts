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

/**
 * An asset's bytes as the upload reads them: their length, and a way to read them from the start.
 * Each attempt opens them again, so a retried upload sends the whole file, never a spent stream.
 * A chunk is valid only until the next one is asked for (a file is read into one reused buffer):
 * a reader is done with it, or copies it, before it reads on.
 */
export interface AssetBody {
  readonly size: number
  open(): AsyncIterable<Uint8Array>
}

export interface DraftRequest {
  readonly tag: string
  readonly commit: string
  readonly name: string
  readonly body: string
  readonly prerelease: boolean
}

export interface DraftUpdate {
  readonly commit: string
  readonly name: string
  readonly body: string
  readonly prerelease: boolean
}

export interface PublishOptions {
  readonly prerelease: boolean
  readonly makeLatest: boolean
  /** Publishing opens a discussion of the Release in this category. */
  readonly discussionCategory?: string
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
  /** Points a draft at the released commit and replaces its title and body. */
  updateDraft(id: number, update: DraftUpdate): Promise<Release>
  publish(id: number, options: PublishOptions): Promise<Release>
  /** Marks a published Release as the repository's latest. */
  markLatest(id: number): Promise<Release>
  deleteRelease(id: number): Promise<void>
  listAssets(releaseId: number): Promise<Asset[]>
  /** Streams the body to the release's upload_url: memory stays bounded whatever the size. */
  uploadAsset(release: Release, name: string, body: AssetBody, contentType: string): Promise<Asset>
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
  /** Removes a ref; one that is gone already is no error. */
  deleteRef(ref: string): Promise<void>
}

/** What a workflow needs for the action to create, upload to and publish a Release. */
export const PERMISSION_REMEDY =
  'give the job write access to contents: add "permissions:\n  contents: write" to the workflow job (and packages: write for ghcr.io)'
