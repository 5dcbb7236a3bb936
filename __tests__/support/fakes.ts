import { createHash } from 'node:crypto'
import type {
  Asset,
  AssetBody,
  DraftRequest,
  DraftUpdate,
  GitCommit,
  GitHub,
  GitTag,
  PublishOptions,
  PullRequest,
  Release,
} from '../../src/ports/github.js'
import type { ImageConfig, RemoteManifest } from '../../src/model/oci.js'
import type { Registry } from '../../src/ports/registry.js'
import type { ImageRepository } from '../../src/model/image-ref.js'

/** An in-memory registry: tags point at index digests that carry annotations. */
export class FakeRegistry implements Registry {
  readonly tags = new Map<string, string>()
  readonly annotations = new Map<string, Record<string, string>>()
  readonly copies: string[] = []
  /** Tags (or name@digest copies) whose writes are silently lost, to prove reads back. */
  readonly lossy = new Set<string>()
  /** Every write in order: `tag <ref>` and `digest <name@digest>` (copies to a repository). */
  readonly writes: string[] = []
  /** Repositories (by name) that refuse every write with this error. */
  readonly refuse = new Map<string, Error>()
  /** Repositories asked about push access, in order. */
  readonly pushChecked: string[] = []

  manifest(ref: string): Promise<RemoteManifest | undefined> {
    if (this.lossy.has(ref)) return Promise.resolve(undefined)
    const digest = ref.includes('@') ? ref.split('@')[1] : this.tags.get(ref)
    if (digest === undefined) return Promise.resolve(undefined)
    const json = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [],
      annotations: this.annotations.get(digest) ?? {},
    }
    return Promise.resolve({ digest, mediaType: json.mediaType, raw: JSON.stringify(json), json })
  }

  imageConfig(): Promise<ImageConfig> {
    return Promise.resolve({
      os: 'linux',
      architecture: 'amd64',
      entrypoint: [],
      cmd: [],
      env: [],
      raw: {},
    })
  }

  copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const refused = this.refuse.get(targetTagRef.slice(0, targetTagRef.lastIndexOf(':')))
    if (refused) return Promise.reject(refused)
    this.copies.push(targetTagRef)
    this.writes.push(`tag ${targetTagRef}`)
    if (!this.lossy.has(targetTagRef))
      this.tags.set(targetTagRef, sourceDigestRef.split('@')[1] ?? '')
    return Promise.resolve()
  }

  copyDigest(sourceDigestRef: string, target: ImageRepository): Promise<void> {
    const refused = this.refuse.get(target.name)
    if (refused) return Promise.reject(refused)
    this.writes.push(`digest ${target.name}@${sourceDigestRef.split('@')[1] ?? ''}`)
    return Promise.resolve()
  }

  pushAccess(image: ImageRepository): Promise<true | undefined> {
    this.pushChecked.push(image.name)
    const refused = this.refuse.get(image.name)
    return refused ? Promise.reject(refused) : Promise.resolve(true)
  }

  indexConfigs(): Promise<Map<string, ImageConfig>> {
    return Promise.reject(new Error('not used by these tests'))
  }

  archive(): Promise<void> {
    return Promise.reject(new Error('not used by these tests'))
  }

  /** Layouts pushed, each stored under the digest given next (or a made-up one). */
  readonly layouts: string[] = []
  layoutDigest = 'sha256:5555'

  assemble(): Promise<string> {
    return Promise.reject(new Error('not used by these tests'))
  }

  pushLayout(image: ImageRepository, layout: string): Promise<string> {
    this.layouts.push(`${image.name} ${layout}`)
    return Promise.resolve(this.layoutDigest)
  }
}

/** An in-memory GitHub with GitHub's rules for drafts, tags and assets. */
export class FakeGitHub implements GitHub {
  releases: (Release & { name: string; assets: Asset[]; discussionCategory?: string })[] = []
  readonly gitTags = new Map<string, string>()
  readonly calls: string[] = []
  private nextId = 1

  private find(id: number): FakeGitHub['releases'][number] {
    const release = this.releases.find((r) => r.id === id)
    if (!release) throw new Error(`no release ${id}`)
    return release
  }

  readonly pulls: (PullRequest & { commits: string[] })[] = []

  tagsWithPrefix(prefix: string): Promise<GitTag[]> {
    return Promise.resolve(
      [...this.gitTags]
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, commit]) => ({ name, commit })),
    )
  }
  pullRequestsOfCommit(sha: string): Promise<PullRequest[]> {
    return Promise.resolve(
      this.pulls.filter((p) => p.commits.includes(sha) || p.mergeCommitSha === sha),
    )
  }
  canWrite(): Promise<boolean | undefined> {
    return Promise.resolve(true)
  }
  listReleases(): Promise<Release[]> {
    this.calls.push('listReleases')
    return Promise.resolve([...this.releases])
  }
  publishedRelease(tag: string): Promise<Release | undefined> {
    return Promise.resolve(this.releases.find((r) => !r.draft && r.tagName === tag))
  }
  tagCommit(tag: string): Promise<string | undefined> {
    return Promise.resolve(this.gitTags.get(tag))
  }
  createDraft(request: DraftRequest): Promise<Release> {
    this.calls.push(`createDraft ${request.tag}`)
    const id = this.nextId++
    const release = {
      id,
      tagName: request.tag,
      targetCommitish: request.commit,
      draft: true,
      prerelease: request.prerelease,
      htmlUrl: `https://github.example.test/acme/app/releases/tag/untagged-${id}`,
      uploadUrl: `https://uploads.example.test/releases/${id}/assets{?name,label}`,
      name: request.name,
      body: request.body,
      createdAt: new Date().toISOString(),
      assets: [],
    }
    this.releases.push(release)
    return Promise.resolve(release)
  }
  updateDraft(id: number, update: DraftUpdate): Promise<Release> {
    this.calls.push(`updateDraft ${id}`)
    const release = {
      ...this.find(id),
      targetCommitish: update.commit,
      name: update.name,
      body: update.body,
      prerelease: update.prerelease,
    }
    this.releases = this.releases.map((r) => (r.id === id ? release : r))
    return Promise.resolve(release)
  }
  publish(id: number, options: PublishOptions): Promise<Release> {
    const category =
      options.discussionCategory === undefined ? '' : ` discussion=${options.discussionCategory}`
    this.calls.push(
      `publish ${id} prerelease=${options.prerelease} latest=${options.makeLatest}${category}`,
    )
    const release = this.find(id)
    if (!this.gitTags.has(release.tagName))
      this.gitTags.set(release.tagName, release.targetCommitish)
    const published = {
      ...release,
      draft: false,
      prerelease: options.prerelease,
      ...(options.discussionCategory !== undefined && {
        discussionCategory: options.discussionCategory,
      }),
      htmlUrl: `https://github.example.test/acme/app/releases/tag/${release.tagName}`,
    }
    this.releases = this.releases.map((r) => (r.id === id ? published : r))
    return Promise.resolve(published)
  }
  markLatest(id: number): Promise<Release> {
    this.calls.push(`markLatest ${id}`)
    return Promise.resolve(this.find(id))
  }
  deleteRelease(id: number): Promise<void> {
    this.calls.push(`deleteRelease ${id}`)
    this.releases = this.releases.filter((r) => r.id !== id)
    return Promise.resolve()
  }
  listAssets(releaseId: number): Promise<Asset[]> {
    return Promise.resolve([...this.find(releaseId).assets])
  }
  /** The bytes of each upload, by asset name, as the body streamed them. */
  readonly uploaded = new Map<string, Buffer>()
  async uploadAsset(release: Release, name: string, body: AssetBody): Promise<Asset> {
    this.calls.push(`upload ${name}`)
    const target = this.find(release.id)
    if (target.assets.some((a) => a.name === name)) throw new Error(`422 already_exists: ${name}`)
    const chunks: Uint8Array[] = []
    // A chunk is only valid until the next read (AssetBody): keep a copy.
    for await (const chunk of body.open()) chunks.push(Buffer.from(chunk))
    const data = Buffer.concat(chunks)
    // GitHub refuses a body whose length is not the content-length announced.
    if (data.length !== body.size) throw new Error(`400 ${name}: ${data.length} of ${body.size}`)
    this.uploaded.set(name, data)
    const asset = {
      id: this.nextId++,
      name,
      size: data.length,
      state: 'uploaded',
      digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
    }
    target.assets.push(asset)
    return asset
  }
  deleteAsset(id: number): Promise<void> {
    this.calls.push(`deleteAsset ${id}`)
    for (const r of this.releases) r.assets = r.assets.filter((a) => a.id !== id)
    return Promise.resolve()
  }
  generateNotes(tag: string): Promise<string> {
    return Promise.resolve(`## What's Changed in ${tag}`)
  }

  /** The git database's refs (full names) and commits, with GitHub's atomic ref rules. */
  readonly refs = new Map<string, string>()
  readonly commits = new Map<string, GitCommit>()
  private nextCommit = 1

  defaultBranch(): Promise<string> {
    return Promise.resolve('main')
  }
  refTarget(ref: string): Promise<string | undefined> {
    return Promise.resolve(this.refs.get(ref))
  }
  readCommit(sha: string): Promise<GitCommit> {
    const commit = this.commits.get(sha) ?? { sha, message: '', tree: `tree-${sha}`, parents: [] }
    return Promise.resolve(commit)
  }
  createCommit(commit: Omit<GitCommit, 'sha'>): Promise<string> {
    const sha = (this.nextCommit++).toString(16).padStart(40, '0')
    this.commits.set(sha, { sha, ...commit })
    return Promise.resolve(sha)
  }
  createRef(ref: string, sha: string): Promise<boolean> {
    this.calls.push(`createRef ${ref}`)
    if (this.refs.has(ref)) return Promise.resolve(false)
    this.refs.set(ref, sha)
    return Promise.resolve(true)
  }
  deleteRef(ref: string): Promise<void> {
    this.calls.push(`deleteRef ${ref}`)
    this.refs.delete(ref)
    return Promise.resolve()
  }
  fastForwardRef(ref: string, sha: string): Promise<boolean> {
    this.calls.push(`fastForwardRef ${ref}`)
    const current = this.refs.get(ref)
    if (current === undefined || !this.commits.get(sha)?.parents.includes(current))
      return Promise.resolve(false)
    this.refs.set(ref, sha)
    return Promise.resolve(true)
  }
}
