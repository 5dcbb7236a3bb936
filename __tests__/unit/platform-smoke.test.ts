import type { SmokeSettings } from '../../src/model/inputs.js'
import type { HttpProbe, SmokeCheck } from '../../src/model/smoke.js'
import type { ImageConfig } from '../../src/model/oci.js'
import type { ContainerSpec } from '../../src/smoke/docker-run-args.js'
import {
  smokePlatform,
  type PlatformSmokeRequest,
  type PlatformSmokeResult,
} from '../../src/smoke/platform-smoke.js'
import { EXIT_CHECK_MS } from '../../src/smoke/probe.js'
import { FakeClock } from '../support/fake-clock.js'
import { EMPTY_CONFIG, FakeEngine } from '../support/fake-engine.js'
import {
  AARCH64,
  ARM,
  X86_64,
  closedPort,
  elfHead,
  httpServer,
  platform,
  smokeSettings,
  someTurns,
  until,
  type TestServer,
} from '../support/smoke-world.js'

const IMAGE = 'r.example.test/acme/app'
const DIGEST = `sha256:${'a'.repeat(64)}`
const REF = `${IMAGE}@${DIGEST}`
const HEALTH: HttpProbe = { port: 8080, path: '/health', expect: { kind: 'any-2xx' } }

function world(
  smoke: Partial<SmokeSettings> = {},
  config: Partial<ImageConfig> = {},
  platformText = 'linux/arm64',
) {
  const clock = new FakeClock()
  const engine = new FakeEngine(clock)
  const request: PlatformSmokeRequest = {
    image: IMAGE,
    platform: platform(platformText),
    source: { kind: 'registry', manifestDigest: DIGEST },
    config: { ...EMPTY_CONFIG, ...config },
    smoke: smokeSettings(smoke),
    runId: '42-1',
  }
  const run = (changes: Partial<PlatformSmokeRequest> = {}): Promise<PlatformSmokeResult> =>
    smokePlatform(engine, { ...request, ...changes }, clock)
  return { clock, engine, run }
}

function checkNamed(result: PlatformSmokeResult, name: string): SmokeCheck {
  const check = result.checks.find((c) => c.name === name)
  if (check === undefined) throw new Error(`no check ${name} in ${JSON.stringify(result)}`)
  return check
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('the HTTP probe', () => {
  test('polls soon after the start, then backs off to 100 ms, until the answer comes', async () => {
    server = await httpServer([
      ...Array.from({ length: 6 }, () => [503, 'starting'] as const),
      [200, 'ok'],
    ])
    const { clock, engine, run } = world({ http: HEALTH })
    engine.server = { hostPort: server.port }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health')).toMatchObject({
      ok: true,
      detail: '200 from /health',
    })
    expect(server.requests).toBe(7)
    expect(clock.sleeps).toEqual([10, 20, 40, 80, 100, 100])
    expect(engine.removed).toEqual([expect.stringMatching(/^mar-42-1-linux-arm64-http-/)])
    expect(engine.containers.size).toBe(0)
  })

  test('an answer that does not meet the expectation is asked again', async () => {
    server = await httpServer([
      [200, 'starting'],
      [500, 'ok'],
      [200, ' ok\n'],
    ])
    const { engine, run } = world({
      http: { ...HEALTH, expect: { kind: 'body', text: 'ok' } },
    })
    engine.server = { hostPort: server.port }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health').ok).toBe(true)
    expect(server.requests).toBe(3)
  })

  test('a container that exits before answering fails at the next exit check, with its exit code and log', async () => {
    const { engine, run } = world({ http: HEALTH })
    engine.server = {
      hostPort: await closedPort(),
      exitsAfterMs: 1500,
      exitCode: 3,
      log: 'config: no such file\n',
    }
    const result = await run()
    const check = checkNamed(result, 'http 8080/health')
    expect(check).toMatchObject({
      ok: false,
      detail: 'the container exited (code 3) before answering; its log: config: no such file',
    })
    // Long before the 60 s deadline: within two exit checks of its exit.
    expect(check.ms).toBeLessThanOrEqual(1500 + 2 * EXIT_CHECK_MS)
    expect(engine.containers.size).toBe(0)
  })

  test('a container that exits before its port is published fails at once', async () => {
    const { clock, engine, run } = world({ http: HEALTH })
    engine.server = { hostPort: 1234, exitsAfterMs: 0, exitCode: 1, log: 'exec format error' }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health').detail).toBe(
      'the container exited (code 1) before answering; its log: exec format error',
    )
    expect(clock.sleeps).toEqual([])
  })

  test('a port the engine never publishes fails with the engine message, without polling', async () => {
    const { clock, engine, run } = world({ http: HEALTH })
    engine.server = {}
    const result = await run()
    const check = checkNamed(result, 'http 8080/health')
    expect(check.ok).toBe(false)
    expect(check.detail).toMatch(
      /^port 8080 was not published: Error: No public port '8080\/tcp' published for mar-42-1-linux-arm64-http-/,
    )
    expect(clock.sleeps).toEqual([])
    expect(engine.containers.size).toBe(0)
  })

  test('at the deadline it fails with the last answer and the log, and removes the container', async () => {
    server = await httpServer([[503, 'warming up']])
    const { clock, engine, run } = world({
      http: HEALTH,
      timeout: { fallback: { ms: 3000 }, overrides: new Map() },
    })
    engine.server = { hostPort: server.port, log: 'listening on 8080\n' }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health')).toMatchObject({
      ok: false,
      detail:
        'timed out waiting for any 2xx answer (last: 503 "warming up"); its log: listening on 8080',
    })
    expect(sum(clock.sleeps)).toBe(3000)
    // Whether it stopped is asked at most once a second, not at every poll.
    const stateQuestions = engine.calls.filter((c) => c.startsWith('state ')).length
    expect(stateQuestions).toBeGreaterThanOrEqual(2)
    expect(stateQuestions).toBeLessThanOrEqual(3)
    expect(engine.removed).toEqual([expect.stringMatching(/-http-/)])
    expect(engine.containers.size).toBe(0)
  })

  test('the last failure to connect is the cause fetch gives, not "fetch failed"', async () => {
    const { engine, run } = world({
      http: HEALTH,
      timeout: { fallback: { ms: 1000 }, overrides: new Map() },
    })
    engine.server = { hostPort: await closedPort() }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health').detail).toMatch(
      /^timed out waiting for any 2xx answer \(last: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/,
    )
  })

  test('a container that does not start fails with the engine message', async () => {
    const { engine, run } = world({ http: HEALTH })
    engine.server = { startError: 'docker: Error response from daemon: no space left on device.' }
    const result = await run()
    expect(checkNamed(result, 'http 8080/health').detail).toBe(
      'the container did not start: docker: Error response from daemon: no space left on device.',
    )
    expect(engine.calls.some((c) => c.startsWith('port '))).toBe(false)
  })
})

describe('smoke commands', () => {
  test('exit 0 passes; another exit code fails with the end of the output', async () => {
    const { engine, run } = world({ run: [['true'], ['app', '--version']] })
    engine.command = (words) =>
      words[0] === 'app'
        ? { exitCode: 2, stdout: 'usage: app\n', stderr: 'unknown flag\n' }
        : { exitCode: 0 }
    const result = await run()
    expect(checkNamed(result, 'run true')).toMatchObject({ ok: true, detail: 'exit 0' })
    expect(checkNamed(result, 'run app --version')).toMatchObject({
      ok: false,
      detail: 'exit 2: usage: app\nunknown flag',
    })
    expect(result.ok).toBe(false)
    expect(engine.containers.size).toBe(0)
  })

  test('each runs in its own container of the pulled digest, with the platform and the smoke env', async () => {
    const { engine, run } = world({
      run: [['true'], ['id']],
      env: [{ key: 'MODE', value: 'smoke test' }],
    })
    const specs: ContainerSpec[] = []
    engine.command = (_words, spec) => {
      specs.push(spec)
      return { exitCode: 0 }
    }
    await run()
    expect(specs).toEqual([
      expect.objectContaining({ ref: REF, env: [{ key: 'MODE', value: 'smoke test' }] }),
      expect.objectContaining({ ref: REF, env: [{ key: 'MODE', value: 'smoke test' }] }),
    ])
    expect(specs.map((s) => s.platform)).toEqual([platform('linux/arm64'), platform('linux/arm64')])
    expect(specs[0]?.name).toMatch(/^mar-42-1-linux-arm64-run0-/)
    expect(specs[1]?.name).toMatch(/^mar-42-1-linux-arm64-run1-/)
  })

  test('a command still running at the deadline is stopped then, reported as timed out, and its container removed', async () => {
    const { clock, engine, run } = world({
      run: [['sleep', 'infinity']],
      timeout: { fallback: { ms: 5000 }, overrides: new Map() },
    })
    engine.command = () => 'never-exits'
    let settled: PlatformSmokeResult | undefined
    const pending = run().then((r) => (settled = r))
    await until(() => engine.calls.some((c) => c.startsWith('run ')))
    clock.advance(4999)
    await someTurns()
    expect(settled).toBeUndefined()
    expect(engine.containers.size).toBe(1)
    clock.advance(1)
    const result = await pending
    expect(checkNamed(result, 'run sleep infinity')).toMatchObject({
      ok: false,
      detail: 'timed out',
    })
    expect(engine.removed).toEqual([expect.stringMatching(/^mar-42-1-linux-arm64-run0-/)])
    expect(engine.containers.size).toBe(0)
  })
})

describe('the architecture check', () => {
  test.each<[string, Partial<ImageConfig>, Record<string, Buffer>, string, boolean, string]>([
    [
      'an ELF binary of the platform',
      { entrypoint: ['/app'] },
      { '/app': elfHead(AARCH64) },
      'linux/arm64',
      true,
      '/app is an arm64 binary',
    ],
    [
      'an ELF binary of another machine',
      { entrypoint: ['/app'] },
      { '/app': elfHead(X86_64) },
      'linux/arm64',
      false,
      '/app is built for amd64, not arm64',
    ],
    [
      'arm/v7 runs arm binaries',
      { entrypoint: ['/app'] },
      { '/app': elfHead(ARM) },
      'linux/arm/v7',
      true,
      '/app is an arm binary',
    ],
    [
      'a script is checked through its interpreter',
      { entrypoint: ['/entrypoint.sh'] },
      { '/entrypoint.sh': Buffer.from('#!/bin/sh -e\nexec app\n'), '/bin/sh': elfHead(X86_64) },
      'linux/arm64',
      false,
      '/bin/sh is built for amd64, not arm64',
    ],
    [
      'a script whose interpreter is not in the image',
      { entrypoint: ['/entrypoint.sh'] },
      { '/entrypoint.sh': Buffer.from('#!/bin/sh\n') },
      'linux/arm64',
      false,
      '/entrypoint.sh needs /bin/sh, which is not in the image',
    ],
    [
      'a script with an interpreter found on PATH is not checked',
      { entrypoint: ['/run.py'] },
      { '/run.py': Buffer.from('#!python3\n') },
      'linux/arm64',
      true,
      'not checked: /run.py is not an ELF binary',
    ],
    [
      'no entrypoint and no command',
      {},
      {},
      'linux/arm64',
      true,
      'not checked: the image has no entrypoint or command',
    ],
    [
      'the command, found on the image PATH',
      { cmd: ['app', 'serve'], env: ['PATH=/opt/bin:/usr/bin/'] },
      { '/usr/bin/app': elfHead(AARCH64) },
      'linux/arm64',
      true,
      '/usr/bin/app is an arm64 binary',
    ],
    [
      'a program on no directory of PATH',
      { cmd: ['app'], env: ['PATH=/opt/bin:/usr/bin'] },
      {},
      'linux/arm64',
      false,
      "the image's program (/opt/bin/app or /usr/bin/app) is not in the image",
    ],
    [
      'the default PATH when the image sets none',
      { entrypoint: ['busybox'] },
      { '/bin/busybox': elfHead(AARCH64) },
      'linux/arm64',
      true,
      '/bin/busybox is an arm64 binary',
    ],
  ])('%s', async (_name, config, files, platformText, ok, detail) => {
    const { engine, run } = world({}, config, platformText)
    for (const [path, bytes] of Object.entries(files)) engine.files.set(path, bytes)
    const result = await run()
    expect(checkNamed(result, 'architecture')).toMatchObject({ ok, detail })
  })

  test("the registry's layers are read first; the engine is asked only when they cannot tell", async () => {
    const { engine, run } = world({}, { entrypoint: ['/entrypoint.sh'] })
    engine.files.set('/bin/sh', elfHead(AARCH64))
    const fromLayers = new Map([['/entrypoint.sh', Buffer.from('#!/bin/sh\n')]])
    const asked: string[] = []
    const result = await run({
      readHead: (path) => {
        asked.push(path)
        return Promise.resolve(fromLayers.get(path))
      },
    })
    expect(checkNamed(result, 'architecture')).toMatchObject({
      ok: true,
      detail: '/bin/sh is an arm64 binary',
    })
    expect(asked).toEqual(['/entrypoint.sh', '/bin/sh'])
    expect(engine.calls.filter((c) => c.startsWith('readImageFile'))).toEqual([
      'readImageFile linux/arm64 /bin/sh',
    ])
  })
})

describe('one platform', () => {
  test('checks are reported in a fixed order (architecture, each command, the probe), whatever order they finish in', async () => {
    server = await httpServer([[200, 'ok']])
    const { engine, run } = world(
      { run: [['true'], ['app', '--version']], http: HEALTH },
      { entrypoint: ['/app'] },
    )
    engine.server = { hostPort: server.port }
    const finished: string[] = []
    engine.command = (words) => {
      finished.push(`run ${words.join(' ')}`)
      return { exitCode: 0 }
    }
    const result = await run({
      // The architecture check ends last: it waits until the probe's container is gone.
      readHead: async () => {
        await until(() => engine.removed.some((name) => name.includes('-http-')))
        finished.push('architecture')
        return elfHead(AARCH64)
      },
    })
    expect(finished.at(-1)).toBe('architecture')
    expect(result.checks.map((c) => c.name)).toEqual([
      'pull',
      'architecture',
      'run true',
      'run app --version',
      'http 8080/health',
    ])
    expect(result.ok).toBe(true)
    expect(engine.calls[0]).toBe(`pull ${REF} linux/arm64`)
  })

  test('a failed pull stops the platform: nothing else runs', async () => {
    const { engine, run } = world({ run: [['true']], http: HEALTH })
    engine.pullError = () =>
      'Error response from daemon: manifest unknown\nline 2\nline 3\nline 4\nline 5'
    const result = await run()
    expect(result.ok).toBe(false)
    expect(result.checks).toEqual([
      { name: 'pull', ok: false, detail: 'line 2\nline 3\nline 4\nline 5', ms: 0 },
    ])
    expect(engine.calls).toEqual([`pull ${REF} linux/arm64`])
  })

  test('checks that would start after the deadline say that no time was left', async () => {
    const { engine, run } = world({ run: [['true']], http: HEALTH })
    engine.pullMs = 61_000
    const result = await run()
    expect(result.checks.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ['pull', true, DIGEST],
      ['timeout', false, 'no time left'],
      ['timeout', false, 'no time left'],
      ['timeout', false, 'no time left'],
    ])
    expect(result.ms).toBe(61_000)
    expect(engine.calls).toEqual([`pull ${REF} linux/arm64`])
  })

  test('a per-platform timeout overrides the default', async () => {
    const { engine, run } = world({
      run: [['true']],
      timeout: { fallback: { ms: 10_000 }, overrides: new Map([['linux/arm64', { ms: 90_000 }]]) },
    })
    engine.pullMs = 61_000
    const result = await run()
    expect(checkNamed(result, 'run true').ok).toBe(true)
  })

  test('a loaded local image is run by its tag, without a pull', async () => {
    const { engine, run } = world({ run: [['true']] }, { entrypoint: ['/app'] })
    engine.files.set('/app', elfHead(AARCH64))
    const tag = 'multiarch-release-smoke:42-1-app-linux-arm64'
    const specs: ContainerSpec[] = []
    engine.command = (_words, spec) => {
      specs.push(spec)
      return { exitCode: 0 }
    }
    const result = await run({ image: tag, source: { kind: 'local', tag } })
    expect(result.checks.map((c) => c.name)).toEqual(['architecture', 'run true'])
    expect(specs.map((s) => s.ref)).toEqual([tag])
    expect(engine.calls.some((c) => c.startsWith('pull '))).toBe(false)
  })
})
