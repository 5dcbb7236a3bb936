import { createHash } from 'node:crypto'
import { Octokit } from '@octokit/rest'
import {
  fakeSha,
  startGitHubStandIn,
  type AssetJson,
  type GitHubStandIn,
  type ReleaseJson,
  type SeedCommit,
  type SeedRepo,
} from '../support/github-standin/index.js'
import { operationById, responseBodyErrors } from '../support/github-standin/openapi.js'
import { handlers } from '../support/github-standin/routes.js'

const TOKEN = 'ghs_standInToken123'
const owner = 'acme'
const repo = 'app'
const c = (n: number) => fakeSha(`commit-${n}`)
const FEATURE = fakeSha('feature-commit')

const commits: SeedCommit[] = [
  { sha: c(1), message: 'Initial commit', date: '2024-01-01T00:00:00Z' },
  { sha: c(2), message: 'Add health endpoint (#1)', date: '2024-01-02T00:00:00Z', parents: [c(1)] },
  { sha: c(3), message: 'Fix arm64 build (#2)', date: '2024-01-03T00:00:00Z', parents: [c(2)] },
  { sha: c(4), message: 'Add metrics (#3)', date: '2024-01-04T00:00:00Z', parents: [c(3)] },
  { sha: c(5), message: 'Tidy', date: '2024-01-05T00:00:00Z', parents: [c(4)] },
  { sha: FEATURE, message: 'WIP', date: '2024-01-06T00:00:00Z', parents: [c(5)] },
]

const seed = (): SeedRepo => ({
  owner,
  repo,
  default_branch: 'main',
  commits,
  branches: { main: c(5), 'release/1.x': c(3), feature: FEATURE },
  tags: { 'v0.9.0': c(1) },
  pulls: [
    {
      number: 1,
      commits: [c(2)],
      title: 'Add health endpoint',
      user: 'alice',
      labels: ['feature'],
      merged_at: '2024-01-02T00:00:00Z',
    },
    {
      number: 2,
      commits: [c(3)],
      title: 'Fix arm64 build',
      user: 'bob',
      labels: ['bug'],
      merged_at: '2024-01-03T00:00:00Z',
    },
    {
      number: 3,
      commits: [c(4)],
      title: 'Add metrics',
      user: 'carol',
      labels: ['feature'],
      merged_at: '2024-01-04T00:00:00Z',
      head_repo: 'carol/app',
    },
    { number: 4, commits: [FEATURE], title: 'Work in progress', user: 'dave' },
  ],
  releases: [{ tag_name: 'v0.9.0', name: 'v0.9.0', body: 'First release' }],
})

let standIn: GitHubStandIn
let octokit: Octokit

// Failed calls are the point of several tests: keep octokit's request log quiet about them.
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: console.warn,
  error: () => undefined,
}
const client = (auth?: string) =>
  new Octokit({ baseUrl: standIn.apiUrl, log: quiet, ...(auth !== undefined && { auth }) })

beforeEach(async () => {
  standIn = await startGitHubStandIn({ token: TOKEN, repos: [seed()] })
  octokit = client(TOKEN)
})

afterEach(async () => {
  await standIn.close()
})

const createRelease = async (params: {
  tag_name: string
  draft?: boolean
  prerelease?: boolean
  target_commitish?: string
  make_latest?: 'true' | 'false' | 'legacy'
}) => (await octokit.rest.repos.createRelease({ owner, repo, ...params })).data

const upload = async (
  release: ReleaseJson,
  name: string,
  bytes: Buffer,
  contentType = 'application/gzip',
) =>
  octokit.request<AssetJson>({
    method: 'POST',
    url: release.upload_url,
    name,
    data: bytes,
    headers: { 'content-type': contentType },
  })

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const download = async (url: string, auth = false) =>
  fetch(url, auth ? { headers: { authorization: `token ${TOKEN}` } } : {})
const operationsCalled = () => standIn.requests.map((r) => `${r.method} ${r.operation ?? r.path}`)

describe('GitHub stand-in, driven by @octokit/rest', () => {
  afterEach(() => {
    // Every valid call must have produced request and response bodies GitHub's schema accepts.
    expect(standIn.violations).toEqual([])
  })

  test('answers only under the GHES-style API prefix it hands out', async () => {
    expect(standIn.apiUrl).toBe(`${standIn.serverUrl}/api/v3`)
    const viaPrefix = await octokit.rest.repos.get({ owner, repo })
    expect(viaPrefix.data).toMatchObject({
      full_name: 'acme/app',
      default_branch: 'main',
      visibility: 'public',
    })
    const withoutPrefix = await download(`${standIn.serverUrl}/repos/${owner}/${repo}`, true)
    expect(withoutPrefix.status).toBe(404)
  })

  test('drafts are listed and readable by id but invisible to getReleaseByTag, and make no tag', async () => {
    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true })
    expect(draft).toMatchObject({ draft: true, published_at: null, tarball_url: null })
    expect(draft.html_url).toMatch(/\/acme\/app\/releases\/tag\/untagged-[0-9a-f]{20}$/)

    const listed = await octokit.rest.repos.listReleases({ owner, repo })
    expect(listed.data.map((r) => [r.tag_name, r.draft])).toEqual([
      ['v1.0.0', true],
      ['v0.9.0', false],
    ])
    expect(
      (await octokit.rest.repos.getRelease({ owner, repo, release_id: draft.id })).data.id,
    ).toBe(draft.id)
    await expect(
      octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' }),
    ).rejects.toMatchObject({ status: 404 })
    await expect(
      octokit.rest.git.getRef({ owner, repo, ref: 'tags/v1.0.0' }),
    ).rejects.toMatchObject({ status: 404 })
    expect(standIn.tags(owner, repo)).toEqual({ 'v0.9.0': c(1) })
  })

  test.each([
    ['a branch name', 'release/1.x', c(3)],
    ['a full sha', c(4), c(4)],
    ['nothing (the default branch)', undefined, c(5)],
  ])(
    'publishing a draft targeting %s creates the tag at that commit',
    async (_, target, expected) => {
      const draft = await createRelease({
        tag_name: 'v1.0.0',
        draft: true,
        ...(target !== undefined && { target_commitish: target }),
      })
      const published = await octokit.rest.repos.updateRelease({
        owner,
        repo,
        release_id: draft.id,
        draft: false,
      })

      expect(published.data.draft).toBe(false)
      expect(published.data.published_at).not.toBeNull()
      expect(published.data.html_url).toBe(`${standIn.serverUrl}/acme/app/releases/tag/v1.0.0`)
      expect(standIn.tags(owner, repo)['v1.0.0']).toBe(expected)
      const ref = await octokit.rest.git.getRef({ owner, repo, ref: 'tags/v1.0.0' })
      expect(ref.data.object.sha).toBe(expected)
      const byTag = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' })
      expect(byTag.data.id).toBe(draft.id)
      expect((await download(published.data.html_url)).status).toBe(200)
    },
  )

  test('an existing tag is kept: target_commitish is unused when the tag exists', async () => {
    await createRelease({ tag_name: 'v0.9.0-docs', target_commitish: 'main' })
    standIn.setTag(owner, repo, 'v1.0.0', c(2))
    await createRelease({ tag_name: 'v1.0.0', target_commitish: 'main' })
    expect(standIn.tags(owner, repo)['v1.0.0']).toBe(c(2))
  })

  test('a second published release for a tag is refused with already_exists', async () => {
    const alreadyExists = {
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
        },
      },
    }
    await createRelease({ tag_name: 'v1.0.0' })
    await expect(createRelease({ tag_name: 'v1.0.0' })).rejects.toMatchObject(alreadyExists)

    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true })
    await expect(
      octokit.rest.repos.updateRelease({ owner, repo, release_id: draft.id, draft: false }),
    ).rejects.toMatchObject(alreadyExists)
    expect(
      standIn.releases(owner, repo).filter((r) => r.tag_name === 'v1.0.0' && !r.draft),
    ).toHaveLength(1)
  })

  test('two drafts for one tag are allowed, as a re-run that forgot the first would make', async () => {
    const first = await createRelease({ tag_name: 'v1.0.0', draft: true })
    const second = await createRelease({ tag_name: 'v1.0.0', draft: true })

    expect(second.id).not.toBe(first.id)
    expect(second.html_url).not.toBe(first.html_url)
    const drafts = standIn.releases(owner, repo).filter((r) => r.tag_name === 'v1.0.0')
    expect(drafts.map((r) => r.id).sort()).toEqual([first.id, second.id].sort())
    await expect(
      octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' }),
    ).rejects.toMatchObject({ status: 404 })
  })

  test.each([
    ['a newly published stable release becomes latest', { tag_name: 'v1.0.0' }, 'v1.0.0'],
    [
      'make_latest false keeps the previous latest',
      { tag_name: 'v1.0.0', make_latest: 'false' as const },
      'v0.9.0',
    ],
    ['a prerelease never becomes latest', { tag_name: 'v1.0.0-rc.1', prerelease: true }, 'v0.9.0'],
    ['a draft never becomes latest', { tag_name: 'v1.0.0', draft: true }, 'v0.9.0'],
  ])('getLatestRelease: %s', async (_, params, latest) => {
    await createRelease(params)
    const found = await octokit.rest.repos.getLatestRelease({ owner, repo })
    expect(found.data.tag_name).toBe(latest)
  })

  test('make_latest sent with a draft is not remembered: publishing without it makes it latest', async () => {
    // softprops/action-gh-release#703: the publishing PATCH must carry make_latest itself.
    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true, make_latest: 'false' })
    await octokit.rest.repos.updateRelease({ owner, repo, release_id: draft.id, draft: false })
    expect(standIn.latestRelease(owner, repo)?.tag_name).toBe('v1.0.0')
  })

  test('lists more than 100 releases page by page with GitHub Link headers', async () => {
    for (let i = 1; i <= 150; i++)
      standIn.seedRelease(owner, repo, { tag_name: `v1.0.${i}`, target_commitish: c(5) })

    const all = await octokit.paginate(octokit.rest.repos.listReleases, {
      owner,
      repo,
      per_page: 100,
    })
    expect(all).toHaveLength(151)
    expect(new Set(all.map((r) => r.id)).size).toBe(151)
    expect(standIn.requests.filter((r) => r.operation === 'repos/list-releases')).toHaveLength(2)

    const second = await octokit.rest.repos.listReleases({ owner, repo, page: 2 })
    expect(second.data).toHaveLength(30)
    const rels = Object.fromEntries(
      (second.headers.link ?? '').split(', ').map((part) => {
        const [, href = '', rel = ''] = /^<([^>]+)>; rel="(\w+)"$/.exec(part) ?? []
        return [rel, new URL(href).searchParams.get('page')]
      }),
    )
    expect(rels).toEqual({ prev: '1', next: '3', last: '6', first: '1' })
    expect(second.headers.link).toContain(`${standIn.apiUrl}/repos/acme/app/releases?`)
    const capped = await octokit.rest.repos.listReleases({ owner, repo, per_page: 500 })
    expect(capped.data).toHaveLength(100)
  })

  test('uploads through the returned upload_url, refuses a duplicate name, serves the bytes', async () => {
    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true })
    expect(draft.upload_url).toBe(
      `${standIn.serverUrl}/api/uploads/repos/acme/app/releases/${draft.id}/assets{?name,label}`,
    )
    const bytes = Buffer.from('linux/amd64 binary bytes')

    const uploaded = await upload(draft, 'app-linux-amd64.tar.gz', bytes)
    expect(uploaded.status).toBe(201)
    expect(uploaded.data).toMatchObject({
      name: 'app-linux-amd64.tar.gz',
      state: 'uploaded',
      size: bytes.length,
      content_type: 'application/gzip',
      digest: `sha256:${sha256(bytes)}`,
    })
    expect(standIn.requests.find((r) => r.operation === 'repos/upload-release-asset')?.path).toBe(
      `/api/uploads/repos/acme/app/releases/${draft.id}/assets`,
    )
    await expect(upload(draft, 'app-linux-amd64.tar.gz', bytes)).rejects.toMatchObject({
      status: 422,
      response: {
        data: { errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] },
      },
    })
    expect(standIn.assets(draft.id).map((a) => a.bytes)).toEqual([bytes])

    // GitHub redirects an octet-stream request for the asset to its bytes.
    const viaApi = await octokit.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: uploaded.data.id,
      headers: { accept: 'application/octet-stream' },
    })
    expect(Buffer.from(viaApi.data as unknown as ArrayBuffer)).toEqual(bytes)

    // A draft's asset is only downloadable with the token.
    expect((await download(uploaded.data.browser_download_url)).status).toBe(404)
    const got = await download(uploaded.data.browser_download_url, true)
    expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes)
  })

  test('after publishing, browser_download_url serves every asset so SHA256SUMS can be checked', async () => {
    const release = await createRelease({ tag_name: 'v1.0.0' })
    const files = {
      'app-linux-amd64.tar.gz': Buffer.from('amd64'),
      'app-linux-arm64.tar.gz': Buffer.from('arm64'),
    }
    for (const [name, bytes] of Object.entries(files)) await upload(release, name, bytes)
    const sums = Object.entries(files)
      .map(([name, bytes]) => `${sha256(bytes)}  ${name}\n`)
      .join('')
    await upload(release, 'SHA256SUMS', Buffer.from(sums), 'text/plain')

    const assets = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
      owner,
      repo,
      release_id: release.id,
    })
    const urlOf = (name: string) => assets.find((a) => a.name === name)?.browser_download_url ?? ''
    expect(urlOf('SHA256SUMS')).toBe(
      `${standIn.serverUrl}/acme/app/releases/download/v1.0.0/SHA256SUMS`,
    )
    const listed = await (await download(urlOf('SHA256SUMS'))).text()
    expect(listed).toBe(sums)
    for (const line of listed.trim().split('\n')) {
      const [digest, name = ''] = line.split('  ')
      const body = new Uint8Array(await (await download(urlOf(name))).arrayBuffer())
      expect(sha256(body)).toBe(digest)
    }
    const counted = await octokit.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: assets[0]?.id ?? 0,
    })
    expect(counted.data.download_count).toBe(1)
  })

  test('GitHub renames a name with spaces; deleting an asset frees its name', async () => {
    const release = await createRelease({ tag_name: 'v1.0.0' })
    const asset = await upload(release, 'my app.tar.gz', Buffer.from('x'))
    expect(asset.data.name).toBe('my.app.tar.gz')
    await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: asset.data.id })
    await expect(
      octokit.rest.repos.getReleaseAsset({ owner, repo, asset_id: asset.data.id }),
    ).rejects.toMatchObject({ status: 404 })
    expect((await upload(release, 'my.app.tar.gz', Buffer.from('y'))).status).toBe(201)
  })

  test('seeding follows the API rules: a second published release for a tag is a test bug', () => {
    expect(() => standIn.seedRelease(owner, repo, { tag_name: 'v0.9.0' })).toThrow(
      /cannot seed release v0\.9\.0 in acme\/app: .*already_exists/,
    )
  })

  test('deleting a release keeps its tag', async () => {
    const release = await createRelease({ tag_name: 'v1.0.0' })
    const deleted = await octokit.rest.repos.deleteRelease({ owner, repo, release_id: release.id })
    expect(deleted.status).toBe(204)
    expect(standIn.release(release.id)).toBeUndefined()
    expect(standIn.tags(owner, repo)['v1.0.0']).toBe(c(5))
  })

  describe('fault injection', () => {
    test('a 502 once, then success; the failed call changed nothing', async () => {
      const fault = standIn.fail({ route: 'repos/create-release', status: 502 })
      await expect(createRelease({ tag_name: 'v1.0.0', draft: true })).rejects.toMatchObject({
        status: 502,
      })
      expect(standIn.releases(owner, repo)).toHaveLength(1)

      await createRelease({ tag_name: 'v1.0.0', draft: true })
      expect(standIn.releases(owner, repo)).toHaveLength(2)
      expect(fault).toMatchObject({ hits: 1, remaining: 0 })
    })

    test('afterEffect: the create happens but the answer is lost, so a retry makes a second draft', async () => {
      standIn.fail({ route: 'repos/create-release', status: 502, afterEffect: true })
      await expect(createRelease({ tag_name: 'v1.0.0', draft: true })).rejects.toMatchObject({
        status: 502,
      })
      await createRelease({ tag_name: 'v1.0.0', draft: true })
      expect(standIn.releases(owner, repo).filter((r) => r.tag_name === 'v1.0.0')).toHaveLength(2)
    })

    test('bodyMatches: only the request whose body matches fails; the others go through', async () => {
      const fault = standIn.fail({
        route: 'repos/create-release',
        bodyMatches: /"tag_name":"v2\.0\.0"/,
        status: 500,
        times: Infinity,
      })
      await createRelease({ tag_name: 'v1.0.0', draft: true })
      await expect(createRelease({ tag_name: 'v2.0.0', draft: true })).rejects.toMatchObject({
        status: 500,
      })
      await createRelease({ tag_name: 'v3.0.0', draft: true })
      expect(standIn.releases(owner, repo).map((r) => r.tag_name)).not.toContain('v2.0.0')
      expect(standIn.releases(owner, repo).map((r) => r.tag_name)).toEqual(
        expect.arrayContaining(['v1.0.0', 'v3.0.0']),
      )
      expect(fault).toMatchObject({ hits: 1 })
    })

    test('a hang-up rejects the call and is logged with status 0', async () => {
      standIn.fail({ method: 'GET', route: /\/releases$/, hangUp: true })
      await expect(octokit.rest.repos.listReleases({ owner, repo })).rejects.toThrow()
      const listed = await octokit.rest.repos.listReleases({ owner, repo })
      expect(listed.data).toHaveLength(1)
      expect(standIn.requests.map((r) => [r.operation, r.status, r.fault])).toEqual([
        ['repos/list-releases', 0, true],
        ['repos/list-releases', 200, false],
      ])
    })

    test('a delay longer than the client waits makes the client give up', async () => {
      standIn.fail({ route: 'repos/get', delayMs: Infinity })
      const slow = octokit.rest.repos.get({
        owner,
        repo,
        request: { signal: AbortSignal.timeout(100) },
      })
      await expect(slow).rejects.toThrow()
      expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200)
    })

    test.each([
      ['hanging up', { afterBytes: 1024 }],
      ['answering 502', { afterBytes: 1024, status: 502 }],
    ])('an upload cut after 1 KiB by %s leaves no asset; the retry succeeds', async (_, fault) => {
      const release = await createRelease({ tag_name: 'v1.0.0', draft: true })
      standIn.fail({ route: 'repos/upload-release-asset', ...fault })
      const big = Buffer.alloc(256 * 1024, 7)

      await expect(upload(release, 'big.bin', big)).rejects.toThrow()
      expect(standIn.assets(release.id)).toEqual([])
      const cut = standIn.requests.find((r) => r.fault)
      expect(cut?.bytes).toBeGreaterThanOrEqual(1024)
      expect(cut?.bytes).toBeLessThan(big.length)

      await upload(release, 'big.bin', big)
      expect(standIn.assets(release.id).map((a) => a.bytes.equals(big))).toEqual([true])
    })

    test('leaveStarterAsset: a failed upload leaves an empty starter asset that blocks the name', async () => {
      const release = await createRelease({ tag_name: 'v1.0.0', draft: true })
      standIn.fail({ route: 'repos/upload-release-asset', status: 502, leaveStarterAsset: true })
      await expect(upload(release, 'app.tar.gz', Buffer.from('x'))).rejects.toMatchObject({
        status: 502,
      })

      const [starter] = (
        await octokit.rest.repos.listReleaseAssets({ owner, repo, release_id: release.id })
      ).data
      expect(starter).toMatchObject({ name: 'app.tar.gz', state: 'starter', size: 0 })
      await expect(upload(release, 'app.tar.gz', Buffer.from('x'))).rejects.toMatchObject({
        status: 422,
      })
      await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: starter?.id ?? 0 })
      expect((await upload(release, 'app.tar.gz', Buffer.from('x'))).data.state).toBe('uploaded')
    })

    test('a misspelt operation id is refused rather than never firing', () => {
      expect(() => standIn.fail({ route: 'repos/create-releases', status: 502 })).toThrow(
        /unknown operation repos\/create-releases/,
      )
    })

    test('times and clearFaults', async () => {
      standIn.fail({ route: 'repos/get', status: 503, times: 2 })
      await expect(octokit.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 503 })
      await expect(octokit.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 503 })
      expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200)

      standIn.fail({ route: 'repos/get', status: 500, times: Infinity })
      standIn.clearFaults()
      expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200)
    })
  })

  test.each([
    ['a wrong token', 'ghs_wrong'],
    ['no token', undefined],
  ])('%s is answered 401 Bad credentials', async (_, auth) => {
    await expect(client(auth).rest.repos.listReleases({ owner, repo })).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Bad credentials' } },
    })
  })

  test('a bearer token works as well as `token`', async () => {
    const res = await fetch(`${standIn.apiUrl}/repos/${owner}/${repo}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(200)
  })

  test('unknown routes answer 404 like GitHub; documented ones the stand-in lacks are flagged', async () => {
    await expect(octokit.request('GET /no/such/route')).rejects.toMatchObject({
      status: 404,
      response: {
        data: {
          message: 'Not Found',
          documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com/) as unknown,
        },
      },
    })
    await expect(octokit.rest.issues.listForRepo({ owner, repo })).rejects.toMatchObject({
      status: 404,
    })
    expect(standIn.requests.map((r) => [r.operation, r.implemented])).toEqual([
      [undefined, false],
      ['issues/list-for-repo', false],
    ])
  })

  test('commits, refs and pull requests of a commit', async () => {
    expect((await octokit.rest.repos.getCommit({ owner, repo, ref: 'main' })).data).toMatchObject({
      sha: c(5),
      parents: [{ sha: c(4) }],
      commit: { message: 'Tidy', committer: { date: '2024-01-05T00:00:00Z' } },
    })
    expect((await octokit.rest.repos.getCommit({ owner, repo, ref: 'release/1.x' })).data.sha).toBe(
      c(3),
    )
    expect(
      (await octokit.rest.repos.getCommit({ owner, repo, ref: c(2).slice(0, 7) })).data.sha,
    ).toBe(c(2))
    await expect(octokit.rest.repos.getCommit({ owner, repo, ref: 'nope' })).rejects.toMatchObject({
      status: 422,
    })

    const merged = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner,
      repo,
      commit_sha: c(4),
    })
    expect(
      merged.data.map((p) => [
        p.number,
        p.labels.map((l) => l.name),
        p.base.ref,
        p.head.repo.full_name,
        p.merged_at,
      ]),
    ).toEqual([[3, ['feature'], 'main', 'carol/app', '2024-01-04T00:00:00Z']])
    // Off the default branch, open pull requests count too.
    const open = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner,
      repo,
      commit_sha: FEATURE,
    })
    expect(open.data.map((p) => [p.number, p.state])).toEqual([[4, 'open']])

    const history = await octokit.paginate(octokit.rest.repos.listCommits, {
      owner,
      repo,
      sha: 'release/1.x',
      per_page: 2,
    })
    expect(history.map((x) => x.sha)).toEqual([c(3), c(2), c(1)])
  })

  test('tags: create, refuse an existing ref, match by prefix, list page by page', async () => {
    const created = await octokit.rest.git.createRef({
      owner,
      repo,
      ref: 'refs/tags/v0.9.1',
      sha: c(2),
    })
    expect(created.status).toBe(201)
    await expect(
      octokit.rest.git.createRef({ owner, repo, ref: 'refs/tags/v0.9.1', sha: c(3) }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: 'Reference already exists' } },
    })
    const matching = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'tags/v0.9' })
    expect(matching.data.map((r) => [r.ref, r.object.sha])).toEqual([
      ['refs/tags/v0.9.0', c(1)],
      ['refs/tags/v0.9.1', c(2)],
    ])
    const tags = await octokit.paginate(octokit.rest.repos.listTags, { owner, repo, per_page: 1 })
    expect(tags.map((t) => [t.name, t.commit.sha])).toEqual([
      ['v0.9.1', c(2)],
      ['v0.9.0', c(1)],
    ])
  })

  test('generated notes list the merged pull requests since the previous release', async () => {
    const notes = await octokit.rest.repos.generateReleaseNotes({
      owner,
      repo,
      tag_name: 'v1.0.0',
      target_commitish: 'main',
    })
    const web = `${standIn.serverUrl}/acme/app`
    expect(notes.data).toEqual({
      name: 'v1.0.0',
      body: [
        "## What's Changed",
        `* Add health endpoint by @alice in ${web}/pull/1`,
        `* Fix arm64 build by @bob in ${web}/pull/2`,
        `* Add metrics by @carol in ${web}/pull/3`,
        '',
        '',
        `**Full Changelog**: ${web}/compare/v0.9.0...v1.0.0`,
      ].join('\n'),
    })
    const release = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v1.0.0',
      generate_release_notes: true,
      body: 'Intro',
    })
    expect(release.data.body).toBe(`Intro\n\n${notes.data.body}`)
  })

  test('every implemented operation is reachable and answers schema-valid JSON', async () => {
    const draft = await createRelease({ tag_name: 'v1.0.0', draft: true })
    const asset = (await upload(draft, 'a.bin', Buffer.from('a'))).data
    await octokit.rest.repos.updateRelease({
      owner,
      repo,
      release_id: draft.id,
      draft: false,
      name: 'One',
    })
    await octokit.rest.repos.get({ owner, repo })
    await octokit.rest.repos.getCommit({ owner, repo, ref: 'main' })
    await octokit.rest.repos.listCommits({ owner, repo })
    await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: c(2) })
    await octokit.rest.git.getRef({ owner, repo, ref: 'tags/v1.0.0' })
    await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'tags/' })
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/topic', sha: c(5) })
    await octokit.rest.repos.listTags({ owner, repo })
    await octokit.rest.repos.listReleases({ owner, repo })
    await octokit.rest.repos.getRelease({ owner, repo, release_id: draft.id })
    await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' })
    await octokit.rest.repos.getLatestRelease({ owner, repo })
    await octokit.rest.repos.generateReleaseNotes({ owner, repo, tag_name: 'v1.1.0' })
    await octokit.rest.repos.listReleaseAssets({ owner, repo, release_id: draft.id })
    await octokit.rest.repos.getReleaseAsset({ owner, repo, asset_id: asset.id })
    await octokit.rest.repos.updateReleaseAsset({ owner, repo, asset_id: asset.id, label: 'A' })
    await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: asset.id })
    const tag = await octokit.rest.git.createTag({
      owner,
      repo,
      tag: 'v1.0.1',
      message: 'Release v1.0.1',
      object: c(5),
      type: 'commit',
    })
    await octokit.rest.git.getTag({ owner, repo, tag_sha: tag.data.sha })
    const head = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(5) })
    await octokit.rest.git.getTree({ owner, repo, tree_sha: head.data.tree.sha })
    const next = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'Next',
      tree: head.data.tree.sha,
      parents: [c(5)],
    })
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/topic', sha: next.data.sha })
    await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/topic' })
    await octokit.rest.repos.deleteRelease({ owner, repo, release_id: draft.id })

    expect(new Set(standIn.requests.map((r) => r.operation))).toEqual(
      new Set(Object.keys(handlers)),
    )
    expect(standIn.requests.every((r) => r.status >= 200 && r.status < 300)).toBe(true)
    expect(operationsCalled()).toContain('POST repos/upload-release-asset')
  })
})

describe('schema validation', () => {
  test('a request body that breaks the schema is refused 422 and recorded', async () => {
    const invalid = octokit.request('POST /repos/{owner}/{repo}/releases', {
      owner,
      repo,
      tag_name: 'v1.0.0',
      draft: 'yes' as unknown as boolean,
    })
    await expect(invalid).rejects.toMatchObject({
      status: 422,
      response: {
        data: {
          message: `Invalid request.\n\nFor 'properties/draft', "yes" is not a boolean.`,
        },
      },
    })
    expect(standIn.violations).toEqual([
      expect.objectContaining({
        operation: 'repos/create-release',
        where: 'request',
        errors: [expect.objectContaining({ instancePath: '/draft', keyword: 'type' })],
      }),
    ])
    expect(standIn.releases(owner, repo)).toHaveLength(1)
  })

  test('a missing required field is reported the way GitHub words it', async () => {
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        owner,
        repo,
        ref: 'refs/tags/x',
      } as never),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: `Invalid request.\n\n"sha" wasn't supplied.` } },
    })
    expect(standIn.violations.map((v) => [v.operation, v.where])).toEqual([
      ['git/create-ref', 'request'],
    ])
  })

  test('the response validator is not vacuous: it accepts GitHub nulls and rejects a missing field', () => {
    const operation = operationById('repos/get-release')
    if (!operation) throw new Error('repos/get-release missing from the OpenAPI description')
    const [release] = standIn.releases(owner, repo)
    expect(responseBodyErrors(operation, 200, { ...release, name: null, body: null })).toEqual([])
    const withoutUploadUrl: Partial<ReleaseJson> = { ...release }
    delete withoutUploadUrl.upload_url
    expect(responseBodyErrors(operation, 200, withoutUploadUrl)).toEqual([
      expect.objectContaining({ keyword: 'required', params: { missingProperty: 'upload_url' } }),
    ])
    expect(responseBodyErrors(operation, 200, { ...release, draft: 'no' })).toEqual([
      expect.objectContaining({ instancePath: '/draft', keyword: 'type' }),
    ])
  })
})
