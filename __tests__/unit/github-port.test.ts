// The action's GitHub port (OctokitGitHub) against an in-process GitHub stand-in, laid out as
// GitHub Enterprise Server: the port only knows GITHUB_API_URL and the upload_url it is handed.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jest } from '@jest/globals'
import { StepFailure } from '../../src/model/errors.js'
import { PERMISSION_REMEDY, type Release } from '../../src/ports/github.js'
import { OctokitGitHub } from '../../src/ports/github/octokit.js'
import { bytesBody, fileBody } from '../../src/release/assets.js'
import {
  fakeSha,
  startGitHubStandIn,
  type GitHubStandIn,
  type SeedRepo,
} from '../support/github-standin/index.js'

const TOKEN = 'ghs_portToken123'
const owner = 'acme'
const repo = 'app'
const c = (n: number) => fakeSha(`commit-${n}`)

const seed = (): SeedRepo => ({
  owner,
  repo,
  commits: [1, 2, 3, 4, 5].map((n) => ({
    sha: c(n),
    date: `2024-01-0${n}T00:00:00Z`,
    ...(n > 1 && { parents: [c(n - 1)] }),
  })),
  tags: { 'v1.0.0': c(2), 'docs-1': c(1) },
  annotatedTags: { 'v1.1.0': { sha: c(3), message: 'Version 1.1.0' } },
  pulls: [
    {
      number: 7,
      commits: [c(4)],
      title: 'Add metrics',
      labels: ['feature', 'arm64'],
      merged_at: '2024-01-04T00:00:00Z',
    },
  ],
  releases: [{ tag_name: 'v1.0.0', body: 'First' }],
  discussionCategories: ['Announcements'],
})

let standIn: GitHubStandIn
let warnings: string[]
let github: OctokitGitHub

beforeEach(async () => {
  standIn = await startGitHubStandIn({ token: TOKEN, repos: [seed()] })
  warnings = []
  github = new OctokitGitHub({
    apiUrl: standIn.apiUrl,
    token: TOKEN,
    owner,
    repo,
    warn: (message) => warnings.push(message),
    // Retries wait 1, 4 and 9 ms instead of seconds.
    backoffMs: 1,
  })
})

afterEach(async () => {
  // Every call the port made was one GitHub documents, with bodies its schemas accept.
  expect(standIn.violations).toEqual([])
  expect(standIn.requests.every((r) => r.implemented)).toBe(true)
  await standIn.close()
})

const calls = (operation: string) => standIn.requests.filter((r) => r.operation === operation)
const draftFor = (tag: string, commit = c(5)) =>
  github.createDraft({ tag, commit, name: tag, body: `Notes of ${tag}`, prerelease: false })

describe('reading', () => {
  test('canWrite: true with contents write, false with read only', async () => {
    expect(await github.canWrite()).toBe(true)
    standIn.setContentsPermission('read')
    expect(await github.canWrite()).toBe(false)
  })

  test('listReleases follows pages past 100 releases, drafts included', async () => {
    for (let i = 1; i <= 150; i++) {
      standIn.seedRelease(owner, repo, { tag_name: `v1.0.${i}`, target_commitish: c(5) })
    }
    await draftFor('v2.0.0')

    const releases = await github.listReleases()

    expect(releases).toHaveLength(152)
    expect(new Set(releases.map((r) => r.id)).size).toBe(152)
    expect(releases.filter((r) => r.draft).map((r) => r.tagName)).toEqual(['v2.0.0'])
    expect(calls('repos/list-releases').map((r) => r.query)).toEqual([
      { per_page: '100' },
      { per_page: '100', page: '2' },
    ])
  })

  test('publishedRelease: the release of a published tag, undefined (404) for a draft or no release', async () => {
    const published = await github.publishedRelease('v1.0.0')
    expect(published).toMatchObject({ tagName: 'v1.0.0', draft: false, body: 'First' })
    await draftFor('v2.0.0')
    expect(await github.publishedRelease('v2.0.0')).toBeUndefined()
    expect(await github.publishedRelease('v9.9.9')).toBeUndefined()
  })

  test('publishedRelease: an error other than 404 is a StepFailure naming the tag', async () => {
    standIn.fail({ route: 'repos/get-release-by-tag', status: 500, times: Infinity })
    await expect(github.publishedRelease('v1.0.0')).rejects.toThrow(
      new StepFailure(
        'GitHub API: reading the release of v1.0.0 failed: 500 Internal Server Error',
      ),
    )
  })

  test('tagsWithPrefix: lightweight tags as they are, annotated tags followed to their commit', async () => {
    const tags = await github.tagsWithPrefix('v')
    expect(tags).toEqual([
      { name: 'v1.0.0', commit: c(2) },
      { name: 'v1.1.0', commit: c(3) },
    ])
    // Only the annotated tag needed its tag object read.
    expect(calls('git/get-tag')).toHaveLength(1)
    expect(await github.tagsWithPrefix('docs-')).toEqual([{ name: 'docs-1', commit: c(1) }])
    expect(await github.tagsWithPrefix('nothing')).toEqual([])
  })

  test('tagCommit: lightweight and annotated tags give their commit; a missing tag is undefined (404)', async () => {
    expect(await github.tagCommit('v1.0.0')).toBe(c(2))
    expect(await github.tagCommit('v1.1.0')).toBe(c(3))
    expect(await github.tagCommit('v9.9.9')).toBeUndefined()
  })

  test('tagCommit: an error other than 404 is a StepFailure naming the tag', async () => {
    standIn.fail({ route: 'git/get-ref', status: 503, times: Infinity })
    await expect(github.tagCommit('v1.0.0')).rejects.toThrow(
      'GitHub API: reading the tag v1.0.0 failed: 503 Service Unavailable',
    )
  })

  test('pullRequestsOfCommit: number, labels, merge and base of each pull request', async () => {
    expect(await github.pullRequestsOfCommit(c(4))).toEqual([
      {
        number: 7,
        labels: ['feature', 'arm64'],
        mergedAt: '2024-01-04T00:00:00Z',
        mergeCommitSha: c(4),
        baseRef: 'main',
      },
    ])
    expect(await github.pullRequestsOfCommit(c(2))).toEqual([])
  })

  test("generateNotes: GitHub's generated body for the tag at the commit", async () => {
    const body = await github.generateNotes('v1.2.0', c(5))
    expect(body).toContain(`* Add metrics by @octocat in ${standIn.serverUrl}/acme/app/pull/7`)
    expect(body).toContain('**Full Changelog**')
  })
})

describe('writing a release', () => {
  test('createDraft: a draft at the commit, with name, body and prerelease, and no tag yet', async () => {
    const draft = await github.createDraft({
      tag: 'v2.0.0-rc.1',
      commit: c(4),
      name: 'v2.0.0-rc.1',
      body: 'Candidate',
      prerelease: true,
    })
    expect(draft).toMatchObject({
      tagName: 'v2.0.0-rc.1',
      targetCommitish: c(4),
      draft: true,
      prerelease: true,
      body: 'Candidate',
    })
    expect(draft.htmlUrl).toMatch(/\/acme\/app\/releases\/tag\/untagged-/)
    expect(standIn.tags(owner, repo)['v2.0.0-rc.1']).toBeUndefined()
  })

  test('updateDraft: points the draft at another commit and replaces its title and body', async () => {
    const draft = await draftFor('v2.0.0', c(4))
    const updated = await github.updateDraft(draft.id, {
      commit: c(5),
      name: 'App 2.0.0',
      body: 'New notes',
      prerelease: true,
    })
    expect(standIn.release(draft.id)?.name).toBe('App 2.0.0')
    expect(updated).toMatchObject({
      id: draft.id,
      targetCommitish: c(5),
      body: 'New notes',
      prerelease: true,
      draft: true,
    })
  })

  test('publish with makeLatest: the tag is made at the commit and the release becomes latest', async () => {
    const draft = await draftFor('v2.0.0', c(4))
    const published = await github.publish(draft.id, { prerelease: false, makeLatest: true })
    expect(published).toMatchObject({ id: draft.id, draft: false, tagName: 'v2.0.0' })
    expect(published.htmlUrl).toBe(`${standIn.serverUrl}/acme/app/releases/tag/v2.0.0`)
    expect(standIn.tags(owner, repo)['v2.0.0']).toBe(c(4))
    expect(standIn.latestRelease(owner, repo)?.id).toBe(draft.id)
  })

  test('publish with a discussion category sends it: GitHub opens the discussion', async () => {
    const draft = await draftFor('v2.0.0', c(4))
    await github.publish(draft.id, {
      prerelease: false,
      makeLatest: true,
      discussionCategory: 'Announcements',
    })
    expect(calls('repos/update-release').at(-1)?.body).toMatchObject({
      draft: false,
      discussion_category_name: 'Announcements',
    })
    expect(standIn.release(draft.id)?.discussion_url).toBe(
      `${standIn.serverUrl}/acme/app/discussions/1`,
    )
  })

  test('publish without a discussion category sends none', async () => {
    const draft = await draftFor('v2.0.0', c(4))
    await github.publish(draft.id, { prerelease: false, makeLatest: true })
    expect(calls('repos/update-release').at(-1)?.body).not.toHaveProperty(
      'discussion_category_name',
    )
    expect(standIn.release(draft.id)?.discussion_url).toBeUndefined()
  })

  test('publish without makeLatest leaves Latest where it was; a prerelease is published as one', async () => {
    const stable = await draftFor('v0.9.1')
    await github.publish(stable.id, { prerelease: false, makeLatest: false })
    const rc = await draftFor('v2.0.0-rc.1')
    const published = await github.publish(rc.id, { prerelease: true, makeLatest: false })
    expect(published.prerelease).toBe(true)
    expect(standIn.latestRelease(owner, repo)?.tag_name).toBe('v1.0.0')
  })

  test("publish: GitHub's refusal reaches the message with its validation details", async () => {
    const draft = await draftFor('v1.0.0')
    await expect(github.publish(draft.id, { prerelease: false, makeLatest: true })).rejects.toThrow(
      'GitHub API: publishing the release failed: 422 Validation Failed (tag_name already_exists)',
    )
    const rc = await draftFor('v2.0.0-rc.1')
    await expect(
      github.publish(rc.id, { prerelease: true, makeLatest: true }),
    ).resolves.toMatchObject({ prerelease: true })
    const pre = await github.createDraft({
      tag: 'v3.0.0-rc.1',
      commit: c(5),
      name: 'rc',
      body: '',
      prerelease: true,
    })
    await expect(github.markLatest(pre.id)).rejects.toThrow(
      'GitHub API: marking the release as latest failed: 422 Validation Failed (Latest release cannot be draft or prerelease.)',
    )
  })

  test('markLatest: an older published release becomes the latest again', async () => {
    const newer = await draftFor('v2.0.0')
    await github.publish(newer.id, { prerelease: false, makeLatest: true })
    const older = await github.publishedRelease('v1.0.0')
    if (!older) throw new Error('seeded release missing')
    await github.markLatest(older.id)
    expect(standIn.latestRelease(owner, repo)?.tag_name).toBe('v1.0.0')
  })

  test('deleteRelease removes the release; one already gone (404) is not an error', async () => {
    const draft = await draftFor('v2.0.0')
    await github.deleteRelease(draft.id)
    expect(standIn.release(draft.id)).toBeUndefined()
    await expect(github.deleteRelease(draft.id)).resolves.toBeUndefined()
  })

  test('deleteRelease: another refusal is a StepFailure with GitHub’s message', async () => {
    const draft = await draftFor('v2.0.0')
    standIn.setContentsPermission('read')
    await expect(github.deleteRelease(draft.id)).rejects.toThrow(
      'GitHub API: deleting a duplicate draft failed: 403 Resource not accessible by integration',
    )
  })

  // deleteRelease builds its own StepFailure and so drops the 403 remedy every call() adds.
  test('deleteRelease refused 403 carries the permission remedy', async () => {
    const draft = await draftFor('v2.0.0')
    standIn.setContentsPermission('read')
    await expect(github.deleteRelease(draft.id)).rejects.toMatchObject({
      remedy: PERMISSION_REMEDY,
    })
  })

  test('a 403 on a write gives the permission remedy', async () => {
    standIn.setContentsPermission('read')
    const failure = await draftFor('v2.0.0').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StepFailure)
    expect(failure).toMatchObject({
      message:
        'GitHub API: creating the draft release v2.0.0 failed: 403 Resource not accessible by integration',
      remedy: PERMISSION_REMEDY,
    })
    expect(standIn.releases(owner, repo)).toHaveLength(1)
  })
})

describe('assets', () => {
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

  test('uploadAsset posts to the upload_url GitHub handed out (GHES: /api/uploads)', async () => {
    const draft = await draftFor('v2.0.0')
    expect(draft.uploadUrl.startsWith(`${standIn.uploadsUrl}/repos/acme/app/releases/`)).toBe(true)
    const bytes = Buffer.from('linux/arm64 image digest list')

    const asset = await github.uploadAsset(draft, 'digests.txt', bytesBody(bytes), 'text/plain')

    expect(asset).toMatchObject({
      name: 'digests.txt',
      size: bytes.length,
      state: 'uploaded',
      digest: `sha256:${sha256(bytes)}`,
    })
    const [upload] = calls('repos/upload-release-asset')
    expect(upload).toMatchObject({
      method: 'POST',
      path: `/api/uploads/repos/acme/app/releases/${draft.id}/assets`,
      query: { name: 'digests.txt' },
    })
    const [stored] = standIn.assets(draft.id)
    expect(stored?.bytes).toEqual(bytes)
    expect(stored?.content_type).toBe('text/plain')
  })

  test('listAssets follows pages past 100 assets; deleteAsset removes one', async () => {
    const release = standIn.seedRelease(owner, repo, {
      tag_name: 'v2.0.0',
      draft: true,
      assets: Array.from({ length: 120 }, (_, i) => ({ name: `part-${i}.bin`, data: `${i}` })),
    })
    const assets = await github.listAssets(release.id)
    expect(assets).toHaveLength(120)
    expect(calls('repos/list-release-assets')).toHaveLength(2)

    const [first] = assets
    if (!first) throw new Error('no asset listed')
    await github.deleteAsset(first.id)
    expect(standIn.assets(release.id).map((a) => a.name)).not.toContain(first.name)
  })

  test('deleteAsset on an immutable release fails with GitHub’s reason', async () => {
    standIn.setImmutableReleases(owner, repo, true)
    const draft = await draftFor('v2.0.0')
    const asset = await github.uploadAsset(
      draft,
      'a.txt',
      bytesBody(Buffer.from('a')),
      'text/plain',
    )
    await github.publish(draft.id, { prerelease: false, makeLatest: true })
    await expect(github.deleteAsset(asset.id)).rejects.toThrow(
      'GitHub API: deleting a release asset failed: 422 Validation Failed (Cannot delete asset from an immutable release)',
    )
  })
})

describe('retries', () => {
  test.each([
    ['500', 500],
    ['429', 429],
    ['502', 502],
  ])('a %s is retried and the call succeeds', async (_, status) => {
    standIn.fail({ route: 'repos/list-releases', status, times: 2 })
    expect(await github.listReleases()).toHaveLength(1)
    expect(calls('repos/list-releases').map((r) => r.status)).toEqual([status, status, 200])
  })

  test('an upload cut after its first bytes is sent again from a file opened anew, whole', async () => {
    const draft = await draftFor('v2.0.0')
    const dir = mkdtempSync(join(tmpdir(), 'upload-'))
    const path = join(dir, 'big.bin')
    // Several read chunks (64 KiB each), so the cut lands in the middle of the stream.
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251))
    writeFileSync(path, bytes)
    standIn.fail({ route: 'repos/upload-release-asset', status: 500, afterBytes: 100_000 })
    let opened = 0
    const body = fileBody({ path, size: bytes.length })
    const counted = { size: body.size, open: () => (opened++, body.open()) }
    await github.uploadAsset(draft, 'big.bin', counted, 'application/octet-stream')
    rmSync(dir, { recursive: true })
    expect(calls('repos/upload-release-asset').map((r) => r.status)).toEqual([500, 201])
    expect(opened).toBe(2)
    expect(standIn.assets(draft.id)[0]?.bytes.equals(bytes)).toBe(true)
  })

  test('after 3 retries the port gives up with GitHub’s status and message', async () => {
    standIn.fail({ route: 'repos/list-releases', status: 500, times: Infinity })
    await expect(github.listReleases()).rejects.toThrow(
      'GitHub API: listing releases failed: 500 Internal Server Error',
    )
    expect(calls('repos/list-releases')).toHaveLength(4)
  })

  test.each([
    ['400', 400],
    ['404', 404],
    ['422', 422],
  ])('a %s is not retried', async (_, status) => {
    standIn.fail({ route: 'repos/get', status })
    await expect(github.canWrite()).rejects.toBeInstanceOf(StepFailure)
    expect(calls('repos/get')).toHaveLength(1)
  })
})

// Octokit's request layer logs deprecations to console.warn unless `request.log` is set; only `log` is.
test('a deprecation notice from GitHub reaches the run’s warnings', async () => {
  const stderr = jest.spyOn(console, 'warn').mockImplementation(() => undefined)
  try {
    const [release] = standIn.releases(owner, repo)
    standIn.fail({
      route: 'repos/get-release-by-tag',
      status: 200,
      body: release,
      headers: {
        deprecation: 'Sat, 01 Nov 2025 00:00:00 GMT',
        sunset: 'Sat, 01 Nov 2026 00:00:00 GMT',
      },
    })
    const found: Release | undefined = await github.publishedRelease('v1.0.0')
    expect(found?.tagName).toBe('v1.0.0')
    expect(warnings).toEqual([expect.stringMatching(/is deprecated/)])
  } finally {
    stderr.mockRestore()
  }
})
