import { Octokit } from '@octokit/rest'
import { Cancelled, StepFailure, cancellationOf } from '../../model/errors.js'
import {
  PERMISSION_REMEDY,
  type Asset,
  type AssetBody,
  type DraftRequest,
  type DraftUpdate,
  type GitCommit,
  type GitHub,
  type GitTag,
  type PublishOptions,
  type PullRequest,
  type Release,
} from '../github.js'
import {
  gitHubMessage,
  httpStatus,
  toAsset,
  toRelease,
  type RawAsset,
  type RawRelease,
} from './answers.js'
import { retryRequests } from './retry.js'
import { streamingFetch } from './streaming-fetch.js'

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

/** A body fetch streams: each iteration opens the bytes anew (not a plain object, so not JSON). */
class Reopening implements AsyncIterable<Uint8Array> {
  constructor(private readonly body: AssetBody) {}
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.body.open()[Symbol.asyncIterator]()
  }
}

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

  async updateDraft(id: number, update: DraftUpdate): Promise<Release> {
    return this.call('updating the draft release', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        ...this.repoParams,
        release_id: id,
        target_commitish: update.commit,
        name: update.name,
        body: update.body,
        prerelease: update.prerelease,
      })
      return toRelease(data)
    })
  }

  async publish(id: number, options: PublishOptions): Promise<Release> {
    return this.call('publishing the release', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        ...this.repoParams,
        release_id: id,
        draft: false,
        prerelease: options.prerelease,
        make_latest: options.makeLatest ? 'true' : 'false',
        ...(options.discussionCategory !== undefined && {
          discussion_category_name: options.discussionCategory,
        }),
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
    body: AssetBody,
    contentType: string,
  ): Promise<Asset> {
    return this.call(`uploading ${name}`, async () => {
      // The upload host comes from the API's upload_url, as on GitHub Enterprise Server. The
      // body is written as the socket drains (streamingFetch), and a retry of the same request
      // iterates it (opens the file) again.
      const response: { data: unknown } = await this.octokit.request({
        method: 'POST',
        url: release.uploadUrl,
        name,
        headers: { 'content-type': contentType, 'content-length': body.size },
        data: new Reopening(body),
        request: { fetch: streamingFetch },
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

  async deleteRef(ref: string): Promise<void> {
    try {
      await this.octokit.rest.git.deleteRef({ ...this.repoParams, ref: ref.replace(/^refs\//, '') })
    } catch (error) {
      // GitHub answers 422 "Reference does not exist" for a ref already gone.
      if (httpStatus(error) === 422 || httpStatus(error) === 404) return
      throw this.failure(`removing ${ref}`, error)
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
