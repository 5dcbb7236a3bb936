// The stand-in's Git database against GitHub's rules: annotated tags, commits, trees and refs.
import { Octokit } from '@octokit/rest'
import {
  fakeSha,
  startGitHubStandIn,
  type GitHubStandIn,
  type SeedRepo,
} from '../support/github-standin/index.js'

const TOKEN = 'ghs_standInToken123'
const owner = 'acme'
const repo = 'app'
const c = (n: number) => fakeSha(`commit-${n}`)

const seed = (): SeedRepo => ({
  owner,
  repo,
  commits: [1, 2, 3, 4, 5].map((n) => ({
    sha: c(n),
    message: `Change ${n} (#${n})`,
    date: `2024-01-0${n}T00:00:00Z`,
    ...(n > 1 && { parents: [c(n - 1)] }),
  })),
  branches: { main: c(5), topic: c(3) },
  tags: { 'v0.9.0': c(1) },
  annotatedTags: { 'v1.5.0': { sha: c(3), message: 'Version 1.5.0' } },
  pulls: [4, 5].map((n) => ({
    number: n,
    commits: [c(n)],
    title: `Change ${n}`,
    merged_at: `2024-01-0${n}T00:00:00Z`,
  })),
})

let standIn: GitHubStandIn
let octokit: Octokit
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined }

beforeEach(async () => {
  standIn = await startGitHubStandIn({ token: TOKEN, repos: [seed()] })
  octokit = new Octokit({
    baseUrl: standIn.apiUrl,
    auth: TOKEN,
    log: { ...quiet, error: quiet.warn },
  })
})

afterEach(async () => {
  // Every request and response met GitHub's published schemas.
  expect(standIn.violations).toEqual([])
  await standIn.close()
})

/** GitHub's plain 422: a message and nothing else to go on. */
const refused = (message: string) => ({ status: 422, response: { data: { message } } })

const commitOn = async (parent: string, message: string) => {
  const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: parent })
  const { data } = await octokit.rest.git.createCommit({
    owner,
    repo,
    message,
    tree: base.tree.sha,
    parents: [parent],
  })
  return data.sha
}

describe('annotated tags', () => {
  test('a seeded annotated tag: the ref answers the tag object, the tag object the commit', async () => {
    const tagSha = standIn.refs(owner, repo)['refs/tags/v1.5.0'] ?? ''
    expect(tagSha).toMatch(/^[0-9a-f]{40}$/)
    expect(tagSha).not.toBe(c(3))

    const ref = await octokit.rest.git.getRef({ owner, repo, ref: 'tags/v1.5.0' })
    expect(ref.data.object).toEqual({
      type: 'tag',
      sha: tagSha,
      url: `${standIn.apiUrl}/repos/acme/app/git/tags/${tagSha}`,
    })
    const matching = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'tags/v' })
    expect(matching.data.map((r) => [r.ref, r.object.type, r.object.sha])).toEqual([
      ['refs/tags/v0.9.0', 'commit', c(1)],
      ['refs/tags/v1.5.0', 'tag', tagSha],
    ])
    const tag = await octokit.rest.git.getTag({ owner, repo, tag_sha: tagSha })
    expect(tag.data).toMatchObject({
      sha: tagSha,
      tag: 'v1.5.0',
      message: 'Version 1.5.0',
      object: { type: 'commit', sha: c(3) },
    })
  })

  test('list-tags and the handle answer the peeled commit of an annotated tag, as GitHub does', async () => {
    const tags = await octokit.rest.repos.listTags({ owner, repo })
    expect(tags.data.map((t) => [t.name, t.commit.sha])).toEqual([
      ['v1.5.0', c(3)],
      ['v0.9.0', c(1)],
    ])
    expect(standIn.tags(owner, repo)).toEqual({ 'v0.9.0': c(1), 'v1.5.0': c(3) })
  })

  test('creating a tag object makes no tag until refs/tags/<name> is created to point at it', async () => {
    const tagger = { name: 'Release Bot', email: 'bot@example.com', date: '2024-02-01T10:00:00Z' }
    const created = await octokit.rest.git.createTag({
      owner,
      repo,
      tag: 'v2.0.0',
      message: 'Version 2.0.0',
      object: c(5),
      type: 'commit',
      tagger,
    })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ tag: 'v2.0.0', tagger, object: { sha: c(5) } })
    await expect(
      octokit.rest.git.getRef({ owner, repo, ref: 'tags/v2.0.0' }),
    ).rejects.toMatchObject({ status: 404 })

    const ref = await octokit.rest.git.createRef({
      owner,
      repo,
      ref: 'refs/tags/v2.0.0',
      sha: created.data.sha,
    })
    expect(ref.data.object).toMatchObject({ type: 'tag', sha: created.data.sha })
    expect(standIn.tags(owner, repo)['v2.0.0']).toBe(c(5))
  })

  test('a tag object has its own sha, stable for the same content and distinct from the commit', async () => {
    const make = (message: string) =>
      octokit.rest.git.createTag({
        owner,
        repo,
        tag: 'v2.0.0',
        message,
        object: c(5),
        type: 'commit',
        tagger: { name: 'Bot', email: 'bot@example.com', date: '2024-02-01T10:00:00Z' },
      })
    const first = (await make('Version 2.0.0')).data.sha
    expect((await make('Version 2.0.0')).data.sha).toBe(first)
    expect((await make('Another message')).data.sha).not.toBe(first)
    expect(first).not.toBe(c(5))
    const seeded = standIn.setAnnotatedTag(owner, repo, 'v3.0.0', { sha: c(5) })
    expect(standIn.refs(owner, repo)['refs/tags/v3.0.0']).toBe(seeded)
    expect(seeded).not.toBe(c(5))
  })

  test("create-tag refuses a missing object and a bad tag name in GitHub's words", async () => {
    const create = (tag: string, object: string) =>
      octokit.rest.git.createTag({ owner, repo, tag, message: 'm', object, type: 'commit' })
    await expect(create('v2.0.0', fakeSha('nowhere'))).rejects.toMatchObject(
      refused('Could not verify object'),
    )
    await expect(create('v2..0', c(5))).rejects.toMatchObject(refused('Could not verify tag name'))
  })

  test('get-tag answers 404 for a sha that is a commit, not a tag object', async () => {
    await expect(octokit.rest.git.getTag({ owner, repo, tag_sha: c(3) })).rejects.toMatchObject({
      status: 404,
    })
  })

  test('a release on an annotated tag resolves through it: the tag object stays, notes count from its commit', async () => {
    const tagSha = standIn.refs(owner, repo)['refs/tags/v1.5.0']
    await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v1.5.0',
      target_commitish: 'main',
    })
    expect(standIn.refs(owner, repo)['refs/tags/v1.5.0']).toBe(tagSha)

    const notes = await octokit.rest.repos.generateReleaseNotes({
      owner,
      repo,
      tag_name: 'v1.6.0',
      target_commitish: 'main',
    })
    // Only the pull requests after the annotated tag's commit (c3) are new.
    expect(notes.data.body).toContain('* Change 4 by @octocat')
    expect(notes.data.body).toContain('* Change 5 by @octocat')
    expect(notes.data.body).toContain('/compare/v1.5.0...v1.6.0')
  })
})

describe('commits and trees', () => {
  test('every seeded commit has a tree that get-tree answers', async () => {
    const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(2) })
    expect(data).toMatchObject({
      sha: c(2),
      message: 'Change 2 (#2)',
      parents: [{ sha: c(1) }],
      committer: { date: '2024-01-02T00:00:00Z' },
    })
    const tree = await octokit.rest.git.getTree({ owner, repo, tree_sha: data.tree.sha })
    expect(tree.data).toMatchObject({ sha: data.tree.sha, truncated: false })
    const other = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(3) })
    expect(other.data.tree.sha).not.toBe(data.tree.sha)
  })

  test('create-commit makes a new commit that get-commit reads back with its dates', async () => {
    const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(5) })
    const author = { name: 'Ada', email: 'ada@example.com', date: '2024-03-01T12:00:00Z' }
    const created = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'lease: run 42',
      tree: base.tree.sha,
      parents: [c(5)],
      author,
    })
    expect(created.status).toBe(201)
    expect(created.data.sha).toMatch(/^[0-9a-f]{40}$/)
    const read = await octokit.rest.git.getCommit({ owner, repo, commit_sha: created.data.sha })
    expect(read.data).toMatchObject({
      message: 'lease: run 42',
      tree: { sha: base.tree.sha },
      parents: [{ sha: c(5) }],
      author,
      // The committer defaults to the author.
      committer: author,
    })
  })

  test("create-commit defaults the author to the token's user, dated now", async () => {
    const before = Date.now() - 1000
    const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(5) })
    const { data } = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: 'm',
      tree: base.tree.sha,
    })
    expect(data.author.name).toBe('github-actions[bot]')
    expect(Date.parse(data.author.date)).toBeGreaterThanOrEqual(before)
    expect(data.parents).toEqual([])
  })

  test("create-commit refuses a missing tree, a commit as tree and a missing parent in GitHub's words", async () => {
    const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c(5) })
    const create = (tree: string, parents: string[]) =>
      octokit.rest.git.createCommit({ owner, repo, message: 'm', tree, parents })
    await expect(create(fakeSha('no tree'), [c(5)])).rejects.toMatchObject(
      refused('Tree SHA does not exist'),
    )
    await expect(create(c(5), [c(5)])).rejects.toMatchObject(
      refused('Tree SHA is not a tree object'),
    )
    await expect(create(base.tree.sha, [fakeSha('no parent')])).rejects.toMatchObject(
      refused('Parent SHA does not exist or is not a commit object'),
    )
    await expect(create(base.tree.sha, ['abc'])).rejects.toMatchObject({ status: 422 })
  })

  test('get-commit answers 404 for an unknown sha', async () => {
    await expect(
      octokit.rest.git.getCommit({ owner, repo, commit_sha: fakeSha('nothing') }),
    ).rejects.toMatchObject({ status: 404 })
  })
})

describe('refs', () => {
  test('update-ref fast-forwards a branch without force', async () => {
    const next = await commitOn(c(5), 'next')
    const updated = await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: next })
    expect(updated.data.object.sha).toBe(next)
    expect(standIn.branches(owner, repo).main).toBe(next)
  })

  test('a non-fast-forward update is refused "Update is not a fast forward"; force moves the ref', async () => {
    const sideways = await commitOn(c(4), 'sideways')
    await expect(
      octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sideways }),
    ).rejects.toMatchObject(refused('Update is not a fast forward'))
    await expect(
      octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: c(4), force: false }),
    ).rejects.toMatchObject(refused('Update is not a fast forward'))
    expect(standIn.branches(owner, repo).main).toBe(c(5))

    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sideways, force: true })
    expect(standIn.branches(owner, repo).main).toBe(sideways)
  })

  test('two racing fast-forward updates from the same base: exactly one wins', async () => {
    const mine = await commitOn(c(5), 'run A takes the lease')
    const theirs = await commitOn(c(5), 'run B takes the lease')
    // Hold both requests until both are in flight, so their checks would interleave if they could.
    standIn.fail({ route: 'git/update-ref', delayMs: 50, times: 2 })

    const results = await Promise.allSettled(
      [mine, theirs].map((sha) =>
        octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha }),
      ),
    )

    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r) => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0]?.reason).toMatchObject(refused('Update is not a fast forward'))
    const winner = results[0]?.status === 'fulfilled' ? mine : theirs
    expect(standIn.branches(owner, repo).main).toBe(winner)
  })

  test('a lease ref in a custom namespace: created, swapped, listed, and neither a branch nor a tag', async () => {
    const lease = 'refs/multiarch-release/lease'
    const first = await commitOn(c(5), 'lease: run 1')
    const created = await octokit.rest.git.createRef({ owner, repo, ref: lease, sha: first })
    expect(created.data).toMatchObject({ ref: lease, object: { type: 'commit', sha: first } })
    await expect(
      octokit.rest.git.createRef({ owner, repo, ref: lease, sha: first }),
    ).rejects.toMatchObject(refused('Reference already exists'))

    const second = await commitOn(first, 'lease: run 2')
    await octokit.rest.git.updateRef({ owner, repo, ref: 'multiarch-release/lease', sha: second })
    const all = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: '' })
    expect(all.data.map((r) => r.ref)).toContain(lease)
    const mine = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'multiarch-release/' })
    expect(mine.data.map((r) => [r.ref, r.object.sha])).toEqual([[lease, second]])
    expect(standIn.refs(owner, repo)[lease]).toBe(second)
    expect(Object.keys(standIn.branches(owner, repo))).toEqual(['main', 'topic'])
    expect(Object.keys(standIn.tags(owner, repo))).toEqual(['v0.9.0', 'v1.5.0'])

    await octokit.rest.git.deleteRef({ owner, repo, ref: 'multiarch-release/lease' })
    expect(standIn.refs(owner, repo)[lease]).toBeUndefined()
  })

  test.each([
    [
      'fewer than three components',
      'refs/lease',
      'Reference name must contain at least three slash-separated components.',
    ],
    ['not under refs/', 'heads/x/y', "Reference name must start with 'refs/'."],
    ['an invalid git name', 'refs/heads/a..b', 'refs/heads/a..b is not a valid ref name.'],
    ['a pull request ref', 'refs/pull/1/head', 'refs/pull/* is read-only.'],
    ['an internal ref', 'refs/__gh__/x', 'refs/__gh__/* is reserved for internal use.'],
  ])("create-ref refuses %s in GitHub's words", async (_, ref, message) => {
    await expect(octokit.rest.git.createRef({ owner, repo, ref, sha: c(5) })).rejects.toMatchObject(
      refused(message),
    )
  })

  test('create-ref refuses an object that does not exist', async () => {
    await expect(
      octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/x', sha: fakeSha('none') }),
    ).rejects.toMatchObject(refused('Object does not exist'))
  })

  test('update-ref refuses a missing ref, a missing object, and a tag object on a branch', async () => {
    const tagSha = standIn.refs(owner, repo)['refs/tags/v1.5.0'] ?? ''
    const update = (ref: string, sha: string) =>
      octokit.rest.git.updateRef({ owner, repo, ref, sha, force: true })
    await expect(update('heads/nope', c(5))).rejects.toMatchObject(
      refused('Reference does not exist'),
    )
    await expect(update('heads/topic', fakeSha('none'))).rejects.toMatchObject(
      refused('Object does not exist'),
    )
    await expect(update('heads/topic', tagSha)).rejects.toMatchObject(
      refused('Object is not a commit'),
    )
    expect(standIn.branches(owner, repo).topic).toBe(c(3))
  })

  test('delete-ref answers 204, then 422 "Reference does not exist"; the default branch stays', async () => {
    const deleted = await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/topic' })
    expect(deleted.status).toBe(204)
    expect(standIn.branches(owner, repo).topic).toBeUndefined()
    await expect(
      octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/topic' }),
    ).rejects.toMatchObject(refused('Reference does not exist'))
    await expect(
      octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/main' }),
    ).rejects.toMatchObject(refused('Cannot delete the default branch'))
  })

  test('deleting the tag of a published release turns the release back into a draft', async () => {
    const { data: release } = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v2.0.0',
    })
    await octokit.rest.git.deleteRef({ owner, repo, ref: 'tags/v2.0.0' })
    expect(standIn.release(release.id)).toMatchObject({ draft: true, published_at: null })
    await expect(
      octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v2.0.0' }),
    ).rejects.toMatchObject({ status: 404 })
  })
})
