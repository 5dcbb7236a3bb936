import { jest } from '@jest/globals'
import { listTags, resolveDigest } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expect(w.github.violations).toEqual([])
    await w.github.close()
  }
})

test('two runs of the same release that create their drafts at the same moment end with exactly one Release and one set of tags', async () => {
  const w = await releaseWorld('concurrent')
  worlds.push(w)
  // Both runs' draft creations are held until both have asked: each creates a draft while the
  // other's request is in flight, so both find no draft and both create one.
  let release = (): void => undefined
  const bothAsked = new Promise<void>((resolve) => {
    release = resolve
  })
  const drafts = w.github.fail({
    method: 'POST',
    route: 'repos/create-release',
    times: 2,
    hold: bothAsked,
  })
  const watch = setInterval(() => {
    if (drafts.hits >= 2) release()
  }, 20)
  const inputs = { version: '3.0.0', 'smoke-run': 'true' }
  const [a, b] = await Promise.all([
    w.run(inputs, { runId: '1001' }),
    w.run(inputs, { runId: '1002' }),
  ]).finally(() => {
    clearInterval(watch)
  })
  expect(drafts.hits).toBe(2)
  // Each run either completed (the same digest, or a no-op) or stopped with a clear message.
  for (const run of [a, b]) {
    if (run.exitCode !== 0) {
      expect(run.errors.join('\n')).toMatch(
        /another run is releasing this version at the same time|appeared meanwhile|published meanwhile|not to the promoted/,
      )
    }
  }
  expect([a.exitCode, b.exitCode]).toContain(0)
  const releases = w.github.releases('acme', 'app')
  expect(releases.filter((r) => !r.draft)).toHaveLength(1)
  // Duplicate empty drafts left by the race are gone.
  expect(releases.filter((r) => r.draft)).toEqual([])
  const winner = [a, b].find((r) => r.exitCode === 0)
  const digest = await resolveDigest(w.image.path, '3.0.0')
  expect(digest).toBe(winner?.outputs.digest)
  for (const tag of ['3.0', '3', 'latest'])
    expect(await resolveDigest(w.image.path, tag)).toBe(digest)
})

test('a token without contents: write fails in preflight, before the build, with the permissions line to add', async () => {
  const w = await releaseWorld('read-only-token')
  worlds.push(w)
  w.github.setContentsPermission('read')
  const run = await w.run({ version: '1.0.0' })
  expect(run.exitCode).toBe(1)
  const error = run.errors.join('\n')
  expect(error).toMatch(/Step 'preflight' failed: the token may read acme\/app but not write to it/)
  expect(error).toMatch(/permissions:\n\s*contents: write/)
  expect(run.stdout).not.toContain('buildx build')
  expect(await listTags(w.image.path)).toEqual([])
})
