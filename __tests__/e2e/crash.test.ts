// A run killed or cancelled at an awkward moment: what it leaves running, and how fast it
// reports. Judged from the world (the engine's containers, the stand-in, the registry).
import { jest } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { listTags } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { actionContainers, killTree, runPostStep } from '../support/runner-steps.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

/** The example image; on arm64 its server can be made to hang (HANG=1) instead of serving. */
const DOCKERFILE = [
  'FROM scratch',
  'ARG TARGETARCH',
  'COPY bin/busybox-${TARGETARCH} /bin/busybox',
  'COPY www/ /www/',
  'ENTRYPOINT ["/bin/busybox"]',
  'CMD ["sh", "-c", "if [ \\"$(uname -m)\\" = aarch64 ] && [ \\"$HANG\\" = 1 ]; then exec sleep 600; fi; exec httpd -f -p 8080 -h /www"]',
  '',
].join('\n')

const RELEASE = {
  version: '1.0.0',
  'smoke-run': 'true',
  'smoke-http': '8080/health',
  'release-assets': 'out/*.txt',
}

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
})

async function world(label: string): Promise<ReleaseWorld> {
  const w = await releaseWorld(label, { Dockerfile: DOCKERFILE })
  mkdirSync(`${w.repo.dir}/out`)
  writeFileSync(`${w.repo.dir}/out/notes.txt`, 'notes\n')
  worlds.push(w)
  return w
}

/** Resolves once the condition holds, checking every 100 ms. */
async function when(condition: () => boolean, what: string, ms = 120_000): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A run whose arm64 probe hangs, killed (its whole process tree) once its containers exist. */
async function killedDuringSmoke(w: ReleaseWorld, runId: string) {
  let child: ChildProcess | undefined
  const running = w.run(
    { ...RELEASE, 'smoke-env': 'HANG=1', 'smoke-timeout': '60,linux/arm64=120' },
    { runId, onSpawn: (c) => (child = c) },
  )
  // Both platforms' probes are up: amd64's answers at once, arm64's never.
  await when(() => actionContainers(`${runId}-1`).length > 0, 'a smoke container of the run')
  killTree(child?.pid ?? 0, 'SIGKILL')
  return running
}

test('a run killed during its smoke tests leaves no container once its post step ran', async () => {
  const w = await world('killed-smoke')
  const runId = String(7_000_000 + Math.floor(Math.random() * 1e6))
  const killed = await killedDuringSmoke(w, runId)
  expect(killed.signal).toBe('SIGKILL')
  // The kill left the run's containers running: nothing else removes them but the post step.
  const left = actionContainers(`${runId}-1`)
  expect(left.length).toBeGreaterThan(0)
  expect(killed.state.run).toBe(`${runId}-1`)
  expect(existsSync(killed.state['work-dir'] ?? '')).toBe(true)

  const post = await runPostStep(killed)
  expect(post.exitCode).toBe(0)
  expect(actionContainers(`${runId}-1`)).toEqual([])
  expect(existsSync(killed.state['work-dir'] ?? '')).toBe(false)
  for (const name of left) expect(post.summary).toContain(name)
  expect(post.summary).toContain('### Containers removed after the run')
})

test('containers a killed run left without a post step go with the next run, which says so', async () => {
  const w = await world('killed-no-post')
  const runId = String(8_000_000 + Math.floor(Math.random() * 1e6))
  await killedDuringSmoke(w, runId)
  const left = actionContainers(`${runId}-1`)
  expect(left.length).toBeGreaterThan(0)

  // The lost runner's re-run: the killed process is gone from this host, so its run is over.
  const rerun = await w.run(RELEASE, { runId, runAttempt: '2' })
  expect(rerun.errors).toEqual([])
  expect(rerun.exitCode).toBe(0)
  expect(actionContainers(`${runId}-1`)).toEqual([])
  expect(rerun.summary).toContain('### Left-over containers removed')
  for (const name of left) expect(rerun.summary).toContain(name)
  expect(actionContainers(`${runId}-2`)).toEqual([])
})

test('a run cancelled (SIGINT) while GitHub answers 500 and the port waits to retry reports within 5 s', async () => {
  const w = await world('sigint-retries')
  w.github.fail({ method: 'POST', route: 'repos/create-release', status: 500, times: Infinity })
  let child: ChildProcess | undefined
  let signalledAt = 0
  let exitedAt = 0
  // Inside the first wait before a retry (2 s; then 6 s and 18 s): the runner cancels the job.
  const stop = w.github.onRequest((record) => {
    if (record.operation !== 'repos/create-release' || signalledAt !== 0) return
    setTimeout(() => {
      signalledAt = Date.now()
      child?.kill('SIGINT')
    }, 500)
  })
  const run = await w.run(RELEASE, {
    env: { MULTIARCH_RELEASE_BACKOFF_MS: '2000' },
    onSpawn: (c) => {
      child = c
      c.on('exit', () => (exitedAt = Date.now()))
    },
  })
  stop()
  expect(signalledAt).toBeGreaterThan(0)
  // The promise: the failure report within 5 s of SIGINT, well before the runner's SIGTERM.
  expect(exitedAt - signalledAt).toBeLessThan(5_000)
  expect(run.signal).toBeNull()
  expect(run.exitCode).toBe(1)
  const report = run.errors.join('\n')
  expect(report).toMatch(
    /Step 'draft-release' failed: the job was cancelled \(SIGINT\) while creating the draft release v1\.0\.0/,
  )
  expect(report).toMatch(/Visible to users: untagged manifests only\./)
  expect(report).toMatch(/Remedy: re-run the workflow: it picks up where this run stopped/)
  expect(run.summary).toMatch(/failed in draft-release/)
  // The world: one attempt at the draft, none after the signal, nothing published or promoted.
  const creations = w.github.requests.filter((r) => r.operation === 'repos/create-release')
  expect(creations.map((r) => r.status)).toEqual([500])
  expect(w.github.releases('acme', 'app')).toEqual([])
  // No tag at all: the candidate is pushed untagged, and nothing final was written.
  expect(await listTags(w.image.path)).toEqual([])
})

test('a run cancelled (SIGINT) during its smoke tests removes its own containers and reports at once', async () => {
  const w = await world('sigint-smoke')
  const runId = String(9_000_000 + Math.floor(Math.random() * 1e6))
  let child: ChildProcess | undefined
  let signalledAt = 0
  let exitedAt = 0
  const running = w.run(
    { ...RELEASE, 'smoke-env': 'HANG=1', 'smoke-timeout': '60,linux/arm64=120' },
    {
      runId,
      onSpawn: (c) => {
        child = c
        c.on('exit', () => (exitedAt = Date.now()))
      },
    },
  )
  await when(() => actionContainers(`${runId}-1`).length > 0, 'a smoke container of the run')
  signalledAt = Date.now()
  child?.kill('SIGINT')
  const run = await running
  expect(exitedAt - signalledAt).toBeLessThan(5_000)
  expect(run.exitCode).toBe(1)
  expect(run.errors.join('\n')).toMatch(
    /Step 'smoke' failed: the job was cancelled \(SIGINT\) while smoke-testing linux\/(amd64|arm64)/,
  )
  // Nothing left for a post step: the run removed its containers itself.
  expect(actionContainers(`${runId}-1`)).toEqual([])
})
