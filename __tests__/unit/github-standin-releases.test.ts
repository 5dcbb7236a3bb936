// The stand-in's release rules against GitHub's: make_latest and Latest, and immutable releases.
import { Octokit } from '@octokit/rest'
import {
  fakeSha,
  startGitHubStandIn,
  type GitHubStandIn,
  type ReleaseJson,
  type SeedRepo,
} from '../support/github-standin/index.js'

const TOKEN = 'ghs_standInToken123'
const owner = 'acme'
const repo = 'app'
const c = (n: number) => fakeSha(`commit-${n}`)

const seed = (extra: Partial<SeedRepo> = {}): SeedRepo => ({
  owner,
  repo,
  commits: [1, 2, 3].map((n) => ({
    sha: c(n),
    date: `2024-01-0${n}T00:00:00Z`,
    ...(n > 1 && { parents: [c(n - 1)] }),
  })),
  releases: [{ tag_name: 'v0.9.0', target_commitish: c(1), created_at: '2024-01-01T00:00:00Z' }],
  ...extra,
})

let standIn: GitHubStandIn
let octokit: Octokit
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined }

const start = async (extra: Partial<SeedRepo> = {}) => {
  await standIn.close()
  standIn = await startGitHubStandIn({ token: TOKEN, repos: [seed(extra)] })
  octokit = new Octokit({
    baseUrl: standIn.apiUrl,
    auth: TOKEN,
    log: { ...quiet, error: quiet.warn },
  })
}

beforeEach(async () => {
  standIn = await startGitHubStandIn({ token: TOKEN, repos: [seed()] })
  octokit = new Octokit({
    baseUrl: standIn.apiUrl,
    auth: TOKEN,
    log: { ...quiet, error: quiet.warn },
  })
})

afterEach(async () => {
  expect(standIn.violations).toEqual([])
  await standIn.close()
})

interface Params {
  tag_name?: string
  target_commitish?: string
  name?: string
  body?: string
  draft?: boolean
  prerelease?: boolean
  make_latest?: 'true' | 'false' | 'legacy'
  discussion_category_name?: string
}
const create = async (params: Params & { tag_name: string }) =>
  (await octokit.rest.repos.createRelease({ owner, repo, ...params })).data
const update = async (release: ReleaseJson, params: Params) =>
  (await octokit.rest.repos.updateRelease({ owner, repo, release_id: release.id, ...params })).data
const latest = () => standIn.latestRelease(owner, repo)?.tag_name
const upload = (release: ReleaseJson, name: string) =>
  octokit.request({
    method: 'POST',
    url: release.upload_url,
    name,
    data: Buffer.from(name),
    headers: { 'content-type': 'application/octet-stream' },
  })

/** GitHub's model validation: `Validation Failed` with one custom error. */
const invalid = (resource: string, message: string, field?: string) => ({
  status: 422,
  response: {
    data: {
      message: 'Validation Failed',
      errors: [{ resource, code: 'custom', message, ...(field !== undefined && { field }) }],
    },
  },
})
const latestRefused = invalid('Release', 'Latest release cannot be draft or prerelease.')

describe('make_latest and Latest', () => {
  test('make_latest true on a draft that stays a draft is refused 422 and changes nothing', async () => {
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    await expect(update(draft, { body: 'Notes', make_latest: 'true' })).rejects.toMatchObject(
      latestRefused,
    )
    expect(standIn.release(draft.id)).toMatchObject({ draft: true, body: null })
    expect(latest()).toBe('v0.9.0')
  })

  test('make_latest true while publishing a prerelease is refused 422; the draft stays a draft', async () => {
    const draft = await create({ tag_name: 'v1.0.0-rc.1', draft: true, prerelease: true })
    await expect(update(draft, { draft: false, make_latest: 'true' })).rejects.toMatchObject(
      latestRefused,
    )
    expect(standIn.release(draft.id)?.draft).toBe(true)
    expect(standIn.tags(owner, repo)['v1.0.0-rc.1']).toBeUndefined()
  })

  test('make_latest true sent with draft or prerelease set in the same request is ignored, not refused', async () => {
    const draft = await create({ tag_name: 'v1.0.0', draft: true, make_latest: 'true' })
    const rc = await create({ tag_name: 'v1.1.0-rc.1', prerelease: true, make_latest: 'true' })
    await update(draft, { draft: true, make_latest: 'true' })
    expect([draft.draft, rc.prerelease, latest()]).toEqual([true, true, 'v0.9.0'])
  })

  test('publishing a draft without make_latest makes it latest; editing a published release keeps Latest', async () => {
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    await update(draft, { draft: false })
    expect(latest()).toBe('v1.0.0')

    const older = standIn.releases(owner, repo).find((r) => r.tag_name === 'v0.9.0')
    if (!older) throw new Error('seeded release missing')
    await update(older, { body: 'Edited notes' })
    expect(latest()).toBe('v1.0.0')
  })

  test('make_latest false when publishing keeps the current latest', async () => {
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    await update(draft, { draft: false, make_latest: 'false' })
    expect(latest()).toBe('v0.9.0')
  })

  test('make_latest false on the latest release only declines: it stays latest', async () => {
    const current = await create({ tag_name: 'v1.0.0' })
    await update(current, { make_latest: 'false' })
    expect(latest()).toBe('v1.0.0')
    const answered = await octokit.rest.repos.getLatestRelease({ owner, repo })
    expect(answered.data.id).toBe(current.id)
  })

  test('make_latest true pins an older release as latest', async () => {
    await create({ tag_name: 'v1.0.0' })
    const older = standIn.releases(owner, repo).find((r) => r.tag_name === 'v0.9.0')
    if (!older) throw new Error('seeded release missing')
    await update(older, { make_latest: 'true' })
    const answered = await octokit.rest.repos.getLatestRelease({ owner, repo })
    expect(answered.data.tag_name).toBe('v0.9.0')
  })

  test('legacy: Latest is the newest release by creation date, the higher version breaking a tie', async () => {
    await start({
      releases: [
        { tag_name: 'v2.0.0', target_commitish: c(1), created_at: '2024-01-01T00:00:00Z' },
        { tag_name: 'v1.2.0', target_commitish: c(2), created_at: '2024-02-01T00:00:00Z' },
        { tag_name: 'v1.10.0', target_commitish: c(2), created_at: '2024-02-01T00:00:00Z' },
        { tag_name: 'v1.9.0', target_commitish: c(3), created_at: '2024-02-01T00:00:00Z' },
      ],
    })
    const first = standIn.releases(owner, repo).find((r) => r.tag_name === 'v2.0.0')
    if (!first) throw new Error('seeded release missing')
    // v1.9.0 was seeded last and is pinned; legacy unpins it.
    expect(latest()).toBe('v1.9.0')
    await update(first, { make_latest: 'legacy' })
    expect(latest()).toBe('v1.10.0')
  })

  test('a deleted pinned release gives Latest back to the legacy choice', async () => {
    const pinned = await create({ tag_name: 'v1.0.0' })
    await octokit.rest.repos.deleteRelease({ owner, repo, release_id: pinned.id })
    expect(latest()).toBe('v0.9.0')
  })

  test('GET /releases/latest answers 404 while no full release is published', async () => {
    await start({ releases: [{ tag_name: 'v1.0.0-rc.1', prerelease: true }] })
    await create({ tag_name: 'v1.0.0', draft: true })
    await expect(octokit.rest.repos.getLatestRelease({ owner, repo })).rejects.toMatchObject({
      status: 404,
    })
    expect(standIn.latestRelease(owner, repo)).toBeUndefined()
  })
})

describe('immutable releases', () => {
  beforeEach(async () => {
    await start({ immutableReleases: true })
  })

  test('a draft stays mutable; once published its assets cannot be added, changed or deleted', async () => {
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    const kept = (await upload(draft, 'app.tar.gz')).data as { id: number }
    const dropped = (await upload(draft, 'scratch.txt')).data as { id: number }
    await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: dropped.id })
    expect(draft.immutable).toBe(false)

    const published = await update(draft, { draft: false })
    expect(published.immutable).toBe(true)
    await expect(upload(published, 'late.txt')).rejects.toMatchObject({
      status: 422,
      response: { data: { message: 'Cannot upload assets to an immutable release.' } },
    })
    await expect(
      octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: kept.id }),
    ).rejects.toMatchObject(
      invalid('ReleaseAsset', 'Cannot delete asset from an immutable release'),
    )
    await expect(
      octokit.rest.repos.updateReleaseAsset({ owner, repo, asset_id: kept.id, name: 'x.tar.gz' }),
    ).rejects.toMatchObject({ status: 422 })
    expect(standIn.assets(draft.id).map((a) => a.name)).toEqual(['app.tar.gz'])
  })

  test('the tag of an immutable release can be neither moved nor deleted', async () => {
    await create({ tag_name: 'v1.0.0', target_commitish: c(2) })
    await expect(
      octokit.rest.git.updateRef({ owner, repo, ref: 'tags/v1.0.0', sha: c(3), force: true }),
    ).rejects.toMatchObject({ status: 422, response: { data: { message: /permanently locked/ } } })
    await expect(
      octokit.rest.git.deleteRef({ owner, repo, ref: 'tags/v1.0.0' }),
    ).rejects.toMatchObject({
      status: 422,
      response: {
        data: {
          message:
            'Repository rule violations found\n\nCannot delete this tag. The tag is permanently locked.\n\n',
        },
      },
    })
    expect(standIn.tags(owner, repo)['v1.0.0']).toBe(c(2))
  })

  test('an immutable release cannot go back to draft or change tag; title, notes and prerelease can change', async () => {
    const release = await create({ tag_name: 'v1.0.0', prerelease: true })
    await expect(update(release, { draft: true })).rejects.toMatchObject(
      invalid('Release', 'state cannot be changed when release is immutable', 'state'),
    )
    await expect(update(release, { tag_name: 'v1.0.1' })).rejects.toMatchObject({ status: 422 })

    const edited = await update(release, {
      name: 'One',
      body: 'Notes',
      prerelease: false,
      make_latest: 'legacy',
    })
    expect(edited).toMatchObject({ name: 'One', body: 'Notes', prerelease: false, immutable: true })
  })

  test('deleting an immutable release keeps its tag locked: another release cannot be published on it', async () => {
    const release = await create({ tag_name: 'v1.0.0' })
    await octokit.rest.repos.deleteRelease({ owner, repo, release_id: release.id })
    const again = await create({ tag_name: 'v1.0.0', draft: true })
    await expect(update(again, { draft: false })).rejects.toMatchObject(
      invalid('Release', 'tag_name was used by an immutable release', 'tag_name'),
    )
    await expect(create({ tag_name: 'v1.0.0' })).rejects.toMatchObject(
      invalid('Release', 'tag_name was used by an immutable release', 'tag_name'),
    )
  })

  test('the setting only affects releases published while it is on, and turning it off unlocks none', async () => {
    await start()
    const before = await create({ tag_name: 'v1.0.0' })
    standIn.setImmutableReleases(owner, repo, true)
    const during = await create({ tag_name: 'v1.1.0' })
    standIn.setImmutableReleases(owner, repo, false)

    expect((await upload(before, 'late.txt')).status).toBe(201)
    await expect(upload(during, 'late.txt')).rejects.toMatchObject({ status: 422 })
    expect(standIn.release(during.id)?.immutable).toBe(true)
  })

  test('a release seeded published with the setting on is immutable, its seeded assets in place', async () => {
    await start({
      immutableReleases: true,
      releases: [{ tag_name: 'v0.9.0', assets: [{ name: 'app.tar.gz', data: 'bytes' }] }],
    })
    const [seeded] = standIn.releases(owner, repo)
    expect(seeded?.immutable).toBe(true)
    expect(seeded?.assets.map((a) => a.name)).toEqual(['app.tar.gz'])
  })
})

describe('discussion categories', () => {
  const missing = {
    status: 404,
    response: {
      data: {
        message: 'Discussion could not be created. Make sure you passed a valid category name.',
      },
    },
  }

  test('publishing a draft with a category opens one discussion; a later category is ignored', async () => {
    await start({ discussionCategories: ['Announcements', 'General'] })
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    const published = await update(draft, {
      draft: false,
      discussion_category_name: 'Announcements',
    })
    expect(published.discussion_url).toBe(`${standIn.serverUrl}/acme/app/discussions/1`)
    await update(published, { discussion_category_name: 'General' })
    expect(standIn.release(draft.id)?.discussion_url).toBe(published.discussion_url)
  })

  test('a draft keeps its category and opens the discussion only when published', async () => {
    await start({ discussionCategories: ['Announcements'] })
    const draft = await create({
      tag_name: 'v1.0.0',
      draft: true,
      discussion_category_name: 'Announcements',
    })
    expect(draft.discussion_url).toBeUndefined()
    expect((await update(draft, { draft: false })).discussion_url).toMatch(/\/discussions\/1$/)
  })

  test('a category the repository lacks is refused 404 and the draft stays a draft', async () => {
    await start({ discussionCategories: ['General'] })
    const draft = await create({ tag_name: 'v1.0.0', draft: true })
    await expect(
      update(draft, { draft: false, discussion_category_name: 'Announcements' }),
    ).rejects.toMatchObject(missing)
    expect(standIn.release(draft.id)?.draft).toBe(true)
    await expect(
      create({ tag_name: 'v1.1.0', discussion_category_name: 'announcements' }),
    ).rejects.toMatchObject(missing)
  })
})

describe('the body limit', () => {
  test('a body of 125,000 characters is kept; one more is refused 422', async () => {
    const body = '😀'.repeat(125_000)
    const release = await create({ tag_name: 'v1.0.0', draft: true, body })
    expect(standIn.release(release.id)?.body).toBe(body)
    await expect(update(release, { body: `${body}x` })).rejects.toMatchObject(
      invalid('Release', 'body is too long (maximum is 125000 characters)', 'body'),
    )
  })
})
