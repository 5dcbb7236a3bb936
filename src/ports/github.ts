import { Octokit } from '@octokit/rest'
import { Cancelled, StepFailure, cancellationOf } from '../model/errors.js'
import { retryRequests } from './github-retry.js'

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

export interface GitHubTarget {
  readonly apiUrl: string
  readonly token: string
  readonly owner: string
  readonly repo: string
  readonly warn: (message: string) => void
  readonly backoffMs: number
  /** The job's cancellation: a call waiting on GitHub or on a retry ends at once. */
  readonly signal?: AbortSignal
}

type RawRelease = {
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

const toRelease = (r: RawRelease): Release => ({
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

type RawAsset = { id: number; name: string; size: number; state: string; digest?: string | null }

const toAsset = (a: RawAsset): Asset => ({
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

/** What a workflow needs for the action to create, upload to and publish a Release. */
export const PERMISSION_REMEDY =
  'give the job write access to contents: add "permissions:\n  contents: write" to the workflow job (and packages: write for ghcr.io)'

/** GitHub through Octokit, at GITHUB_API_URL, so GitHub Enterprise Server works as github.com. */
export class OctokitGitHub implements GitHub {
  private readonly octokit: Octokit
  private readonly repoParams: { owner: string; repo: string }
  private readonly signal: AbortSignal | undefined

  constructor(target: GitHubTarget) {
    this.repoParams = { owner: target.owner, repo: target.repo }
    this.signal = target.signal
    const log = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => {
        target.warn(message)
      },
      error: () => undefined,
    }
    this.octokit = new Octokit({
      auth: target.token,
      baseUrl: target.apiUrl,
      userAgent: 'multiarch-release',
      log,
      // The request layer logs GitHub's deprecation notices through its own logger.
      request: { log },
    })
    // 5xx, 429 and dropped connections are retried 3 times, waiting 1, 3 and 9 backoff units.
    retryRequests(this.octokit, {
      retries: 3,
      backoffMs: target.backoffMs,
      warn: target.warn,
      ...(target.signal ? { signal: target.signal } : {}),
    })
  }

  /** The error a failed call ends with: the cancellation that ended it, or GitHub's answer. */
  private failure(what: string, error: unknown, remedy?: string): StepFailure {
    const cancelled = cancellationOf(this.signal, error)
    if (cancelled) return new Cancelled(cancelled.signal, what)
    return new StepFailure(`GitHub API: ${what} failed: ${gitHubMessage(error)}`, remedy)
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw this.failure(what, error, httpStatus(error) === 403 ? PERMISSION_REMEDY : undefined)
    }
  }

  async canWrite(): Promise<boolean | undefined> {
    return this.call('reading the repository', async () => {
      const { data } = await this.octokit.rest.repos.get(this.repoParams)
      return data.permissions?.push
    })
  }

  async listReleases(): Promise<Release[]> {
    return this.call('listing releases', async () => {
      const releases = await this.octokit.paginate(this.octokit.rest.repos.listReleases, {
        ...this.repoParams,
        per_page: 100,
      })
      return releases.map((r) => toRelease(r as RawRelease))
    })
  }

  async publishedRelease(tag: string): Promise<Release | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getReleaseByTag({ ...this.repoParams, tag })
      return toRelease(data)
    } catch (error) {
      if (httpStatus(error) === 404) return undefined
      throw this.failure(`reading the release of ${tag}`, error)
    }
  }

  async tagsWithPrefix(prefix: string): Promise<GitTag[]> {
    return this.call('listing tags', async () => {
      const refs = await this.octokit.paginate(this.octokit.rest.git.listMatchingRefs, {
        ...this.repoParams,
        ref: `tags/${prefix}`,
        per_page: 100,
      })
      const tags: GitTag[] = []
      for (const ref of refs) {
        const name = ref.ref.replace(/^refs\/tags\//, '')
        if (ref.object.type === 'commit') {
          tags.push({ name, commit: ref.object.sha })
          continue
        }
        // An annotated tag points at a tag object, which points at the commit.
        const { data } = await this.octokit.rest.git.getTag({
          ...this.repoParams,
          tag_sha: ref.object.sha,
        })
        tags.push({ name, commit: data.object.sha })
      }
      return tags
    })
  }

  async pullRequestsOfCommit(sha: string): Promise<PullRequest[]> {
    return this.call(`finding the pull request of ${sha.slice(0, 12)}`, async () => {
      const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...this.repoParams,
        commit_sha: sha,
        per_page: 100,
      })
      return data.map((pr) => ({
        number: pr.number,
        labels: pr.labels.map((l) => l.name),
        mergedAt: pr.merged_at ?? undefined,
        mergeCommitSha: pr.merge_commit_sha ?? undefined,
        baseRef: pr.base.ref,
      }))
    })
  }

  async tagCommit(tag: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({
        ...this.repoParams,
        ref: `tags/${tag}`,
      })
      if (data.object.type === 'commit') return data.object.sha
      // An annotated tag points at a tag object, which points at the commit.
      const { data: tagObject } = await this.octokit.rest.git.getTag({
        ...this.repoParams,
        tag_sha: data.object.sha,
      })
      return tagObject.object.sha
    } catch (error) {
      if (httpStatus(error) === 404) return undefined
      throw this.failure(`reading the tag ${tag}`, error)
    }
  }

  async createDraft(request: DraftRequest): Promise<Release> {
    return this.call(`creating the draft release ${request.tag}`, async () => {
      const { data } = await this.octokit.rest.repos.createRelease({
        ...this.repoParams,
        tag_name: request.tag,
        target_commitish: request.commit,
        name: request.name,
        body: request.body,
        draft: true,
        prerelease: request.prerelease,
      })
      return toRelease(data)
    })
  }

  async updateDraft(
    id: number,
    update: { commit: string; body: string; prerelease: boolean },
  ): Promise<Release> {
    return this.call('updating the draft release', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        ...this.repoParams,
        release_id: id,
        target_commitish: update.commit,
        body: update.body,
        prerelease: update.prerelease,
      })
      return toRelease(data)
    })
  }

  async publish(
    id: number,
    options: { prerelease: boolean; makeLatest: boolean },
  ): Promise<Release> {
    return this.call('publishing the release', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        ...this.repoParams,
        release_id: id,
        draft: false,
        prerelease: options.prerelease,
        make_latest: options.makeLatest ? 'true' : 'false',
      })
      return toRelease(data)
    })
  }

  async markLatest(id: number): Promise<Release> {
    return this.call('marking the release as latest', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        ...this.repoParams,
        release_id: id,
        make_latest: 'true',
      })
      return toRelease(data)
    })
  }

  async deleteRelease(id: number): Promise<void> {
    try {
      await this.octokit.rest.repos.deleteRelease({ ...this.repoParams, release_id: id })
    } catch (error) {
      // Another run may have removed the same duplicate first: gone is gone.
      if (httpStatus(error) === 404) return
      throw this.failure(
        'deleting a duplicate draft',
        error,
        httpStatus(error) === 403 ? PERMISSION_REMEDY : undefined,
      )
    }
  }

  async listAssets(releaseId: number): Promise<Asset[]> {
    return this.call('listing release assets', async () => {
      const assets = await this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
        ...this.repoParams,
        release_id: releaseId,
        per_page: 100,
      })
      return assets.map((a) => toAsset(a as RawAsset))
    })
  }

  async uploadAsset(
    release: Release,
    name: string,
    data: Buffer,
    contentType: string,
  ): Promise<Asset> {
    return this.call(`uploading ${name}`, async () => {
      // The upload host comes from the API's upload_url, as on GitHub Enterprise Server.
      const response: { data: unknown } = await this.octokit.request({
        method: 'POST',
        url: release.uploadUrl,
        name,
        headers: { 'content-type': contentType, 'content-length': data.length },
        data,
      })
      return toAsset(response.data as RawAsset)
    })
  }

  async deleteAsset(id: number): Promise<void> {
    await this.call('deleting a release asset', async () => {
      await this.octokit.rest.repos.deleteReleaseAsset({ ...this.repoParams, asset_id: id })
    })
  }

  async defaultBranch(): Promise<string> {
    return this.call('reading the repository', async () => {
      const { data } = await this.octokit.rest.repos.get(this.repoParams)
      return data.default_branch
    })
  }

  async refTarget(ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({
        ...this.repoParams,
        ref: ref.replace(/^refs\//, ''),
      })
      return data.object.sha
    } catch (error) {
      if (httpStatus(error) === 404) return undefined
      throw this.failure(`reading ${ref}`, error)
    }
  }

  async readCommit(sha: string): Promise<GitCommit> {
    return this.call(`reading the commit ${sha.slice(0, 12)}`, async () => {
      const { data } = await this.octokit.rest.git.getCommit({
        ...this.repoParams,
        commit_sha: sha,
      })
      return {
        sha: data.sha,
        message: data.message,
        tree: data.tree.sha,
        parents: data.parents.map((p) => p.sha),
      }
    })
  }

  async createCommit(commit: Omit<GitCommit, 'sha'>): Promise<string> {
    return this.call('writing a commit object', async () => {
      const { data } = await this.octokit.rest.git.createCommit({
        ...this.repoParams,
        message: commit.message,
        tree: commit.tree,
        parents: [...commit.parents],
      })
      return data.sha
    })
  }

  async createRef(ref: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.createRef({ ...this.repoParams, ref, sha })
      return true
    } catch (error) {
      // GitHub answers 422 "Reference already exists".
      if (httpStatus(error) === 422 && /already exists/i.test(gitHubMessage(error))) return false
      throw this.failure(`creating ${ref}`, error)
    }
  }

  async fastForwardRef(ref: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.updateRef({
        ...this.repoParams,
        ref: ref.replace(/^refs\//, ''),
        sha,
        force: false,
      })
      return true
    } catch (error) {
      // GitHub answers 422 "Update is not a fast forward" when the ref moved meanwhile.
      if (httpStatus(error) === 422 && /fast.?forward/i.test(gitHubMessage(error))) return false
      throw this.failure(`moving ${ref}`, error)
    }
  }

  async generateNotes(tag: string, commit: string): Promise<string> {
    return this.call('generating release notes', async () => {
      const { data } = await this.octokit.rest.repos.generateReleaseNotes({
        ...this.repoParams,
        tag_name: tag,
        target_commitish: commit,
      })
      return data.body
    })
  }
}
