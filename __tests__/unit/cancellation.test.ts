// The job's cancellation (the runner's SIGINT) reaches every wait of the run: each one below
// would otherwise last seconds (a retry's backoff, a poll, another run's lease, a container).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { seconds } from '../../src/model/duration.js'
import { Cancelled } from '../../src/model/errors.js'
import { cancelOnSignals, type SignalSource } from '../../src/ports/cancellation.js'
import { OctokitGitHub } from '../../src/ports/github/octokit.js'
import { GRACE_MS } from '../../src/ports/github/retry.js'
import { HttpRegistry } from '../../src/ports/registry/http.js'
import { retryCommand, type RetryPolicy } from '../../src/ports/retry.js'
import { Lease, type LeaseOptions } from '../../src/release/lease.js'
import { smokePlatform } from '../../src/smoke/platform-smoke.js'
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-standin/index.js'
import { FakeGitHub } from '../support/fakes.js'
import { EMPTY_CONFIG, FakeEngine } from '../support/fake-engine.js'
import { platform, smokeSettings, until } from '../support/smoke-world.js'

/** Waits of 10 s: a test that ends in well under a second proves the wait was cut short. */
const LONG_WAIT_MS = 10_000
const SIGINT = (): Cancelled => new Cancelled('SIGINT')

/** Cancels the controller `ms` after the call, and measures how long the promise then took. */
async function cancelAfter<T>(
  ms: number,
  controller: AbortController,
  promise: Promise<T>,
): Promise<{ error: unknown; afterCancel: number }> {
  let cancelledAt = 0
  const timer = setTimeout(() => {
    cancelledAt = Date.now()
    controller.abort(SIGINT())
  }, ms)
  try {
    await promise
    return { error: undefined, afterCancel: Date.now() - cancelledAt }
  } catch (error) {
    return { error, afterCancel: Date.now() - cancelledAt }
  } finally {
    clearTimeout(timer)
  }
}

describe('the signals', () => {
  function source() {
    const listeners = new Map<string, (signal: NodeJS.Signals) => void>()
    const exits: number[] = []
    const fake: SignalSource = {
      on: (event, listener) => listeners.set(event, listener),
      exit: (code) => {
        exits.push(code)
        return undefined as never
      },
    }
    return { fake, listeners, exits }
  }

  test('the first SIGINT names the signal and aborts with a Cancelled reason', () => {
    const { fake, listeners, exits } = source()
    const announced: string[] = []
    const cancellation = cancelOnSignals((s) => announced.push(s), fake)
    expect(cancellation.abortSignal.aborted).toBe(false)
    listeners.get('SIGINT')?.('SIGINT')
    expect(cancellation.signal).toBe('SIGINT')
    expect(announced).toEqual(['SIGINT'])
    expect(cancellation.abortSignal.reason).toBeInstanceOf(Cancelled)
    expect((cancellation.abortSignal.reason as Cancelled).message).toBe(
      'the job was cancelled (SIGINT)',
    )
    expect(exits).toEqual([])
  })

  test('the second signal (the runner’s SIGTERM) ends the process at once with 130', () => {
    const { fake, listeners, exits } = source()
    cancelOnSignals(() => undefined, fake)
    listeners.get('SIGINT')?.('SIGINT')
    listeners.get('SIGTERM')?.('SIGTERM')
    expect(exits).toEqual([130])
  })
})

describe('a retried command', () => {
  test('the backoff between attempts ends at the cancellation, which is thrown', async () => {
    const controller = new AbortController()
    const policy: RetryPolicy = {
      retries: 4,
      minTimeoutMs: LONG_WAIT_MS,
      maxTimeoutMs: LONG_WAIT_MS,
      signal: controller.signal,
    }
    let attempts = 0
    const failing = () => {
      attempts++
      return Promise.resolve({ exitCode: 1, stderr: '503 Service Unavailable' })
    }
    const { error, afterCancel } = await cancelAfter(
      50,
      controller,
      retryCommand('pushing', failing, () => undefined, policy),
    )
    expect(error).toBeInstanceOf(Cancelled)
    expect(attempts).toBe(1)
    expect(afterCancel).toBeLessThan(500)
  })
})

describe('the registry over HTTP', () => {
  let server: Server
  let requests = 0
  let answer: 'unavailable' | 'never' = 'unavailable'
  beforeEach(async () => {
    requests = 0
    server = createServer((req, res) => {
      requests++
      if (answer === 'unavailable') res.writeHead(503).end('down')
      // 'never': the request is held until the client gives up.
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const ref = () => `127.0.0.1:${(server.address() as AddressInfo).port}/acme/app:1.0.0`

  test.each([
    ['a retry’s backoff', 'unavailable'],
    ['a request the registry holds', 'never'],
  ] as const)('%s ends at the cancellation, which names the read', async (_, mode) => {
    answer = mode
    const controller = new AbortController()
    const registry = new HttpRegistry(() => undefined, {
      retries: 4,
      minTimeoutMs: LONG_WAIT_MS,
      maxTimeoutMs: LONG_WAIT_MS,
      signal: controller.signal,
    })
    const { error, afterCancel } = await cancelAfter(100, controller, registry.manifest(ref()))
    expect(error).toBeInstanceOf(Cancelled)
    expect((error as Error).message).toBe(`the job was cancelled (SIGINT) while reading ${ref()}`)
    expect(requests).toBe(1)
    expect(afterCancel).toBeLessThan(500)
  })
})

describe('GitHub', () => {
  let standIn: GitHubStandIn
  beforeEach(async () => {
    standIn = await startGitHubStandIn({
      token: 't0ken',
      repos: [{ owner: 'acme', repo: 'app', commits: [{ sha: 'a'.repeat(40) }] }],
    })
  })
  afterEach(() => standIn.close())
  const port = (signal: AbortSignal, warnings: string[] = []) =>
    new OctokitGitHub({
      apiUrl: standIn.apiUrl,
      token: 't0ken',
      owner: 'acme',
      repo: 'app',
      warn: (m) => warnings.push(m),
      backoffMs: LONG_WAIT_MS,
      signal,
    })
  const creations = () => standIn.requests.filter((r) => r.operation === 'repos/create-release')
  const draft = (github: OctokitGitHub) =>
    github.createDraft({
      tag: 'v1.0.0',
      commit: 'a'.repeat(40),
      name: 'v1',
      body: '',
      prerelease: false,
    })

  test('create-release answering 500: the retry’s wait ends at the cancellation', async () => {
    standIn.fail({ route: 'repos/create-release', status: 500, times: Infinity })
    const controller = new AbortController()
    const warnings: string[] = []
    const { error, afterCancel } = await cancelAfter(
      200,
      controller,
      draft(port(controller.signal, warnings)),
    )
    expect(error).toBeInstanceOf(Cancelled)
    expect((error as Error).message).toBe(
      'the job was cancelled (SIGINT) while creating the draft release v1.0.0',
    )
    expect(afterCancel).toBeLessThan(500)
    // One attempt, its retry logged, and no attempt after the cancellation.
    expect(creations().map((r) => r.status)).toEqual([500])
    expect(warnings).toEqual([expect.stringMatching(/attempt 1 failed \(500\); retrying/)])
  })

  test('a request GitHub holds is abandoned at the cancellation', async () => {
    standIn.fail({ route: 'repos/create-release', delayMs: Infinity })
    const controller = new AbortController()
    const { error, afterCancel } = await cancelAfter(
      200,
      controller,
      draft(port(controller.signal)),
    )
    expect(error).toBeInstanceOf(Cancelled)
    expect(afterCancel).toBeLessThan(500)
  })

  test('after the cancellation a call gets one attempt, so the lease can still be given back', async () => {
    const controller = new AbortController()
    controller.abort(SIGINT())
    const github = port(controller.signal)
    expect(await github.refTarget('refs/multiarch-release/lease')).toBeUndefined()
    standIn.fail({ route: 'repos/create-release', status: 502, times: Infinity })
    const started = Date.now()
    await expect(draft(github)).rejects.toBeInstanceOf(Cancelled)
    expect(Date.now() - started).toBeLessThan(GRACE_MS)
    expect(creations()).toHaveLength(1)
  })
})

describe('the release lease', () => {
  const options = (store: FakeGitHub, over: Partial<LeaseOptions>): LeaseOptions => ({
    store,
    runId: '100',
    attempt: 1,
    version: '1.5.0',
    baseCommit: 'b'.repeat(40),
    ttlMs: 600_000,
    waitMs: 600_000,
    log: () => undefined,
    cancelled: () => undefined,
    ...over,
  })

  test('a wait for another run’s lease ends at the cancellation, mid-sleep', async () => {
    const store = new FakeGitHub()
    await Lease.acquire(options(store, { runId: '200' }))
    const controller = new AbortController()
    const waiting = Lease.acquire(
      options(store, {
        signal: controller.signal,
        // The real sleep, recorded: the pause grows to 2 s between reads of the lease.
        cancelled: () =>
          controller.signal.aborted ? (controller.signal.reason as Cancelled).signal : undefined,
      }),
    )
    const { error, afterCancel } = await cancelAfter(1_200, controller, waiting)
    expect((error as Error).message).toBe(
      'the job was cancelled (SIGINT) while waiting for the release lease',
    )
    expect(afterCancel).toBeLessThan(200)
  })

  test('the sleep is given the job’s signal', async () => {
    const store = new FakeGitHub()
    await Lease.acquire(options(store, { runId: '200' }))
    const controller = new AbortController()
    const given: (AbortSignal | undefined)[] = []
    const waiting = Lease.acquire(
      options(store, {
        signal: controller.signal,
        // A sleep that ends only when its signal aborts.
        sleep: (_ms, signal) => {
          given.push(signal)
          return new Promise((resolve) => {
            signal?.addEventListener('abort', () => {
              resolve()
            })
          })
        },
      }),
    )
    await until(() => given.length === 1)
    controller.abort(SIGINT())
    await expect(waiting).rejects.toThrow('cancelled (SIGINT) while waiting for the release lease')
    expect(given).toEqual([controller.signal])
  })
})

describe('the smoke tests', () => {
  test('a command that never ends is stopped at the cancellation, its container removed', async () => {
    const engine = new FakeEngine()
    const controller = new AbortController()
    engine.cancellation = controller.signal
    engine.command = () => 'never-exits'
    const smoking = smokePlatform(engine, {
      image: 'r.example.test/acme/app',
      platform: platform('linux/arm64'),
      source: { kind: 'registry', manifestDigest: `sha256:${'a'.repeat(64)}` },
      config: EMPTY_CONFIG,
      smoke: smokeSettings({
        run: [['sleep', '600']],
        timeout: { fallback: seconds(600), overrides: new Map() },
      }),
      runId: '42-1',
    })
    await until(() => engine.containers.size === 1)
    const started = Date.now()
    controller.abort(SIGINT())
    await expect(smoking).rejects.toThrow(
      'the job was cancelled (SIGINT) while smoke-testing linux/arm64',
    )
    expect(Date.now() - started).toBeLessThan(500)
    expect(engine.containers.size).toBe(0)
    expect(engine.removed).toHaveLength(1)
  })

  test('after the cancellation no container starts', async () => {
    const engine = new FakeEngine()
    engine.cancellation = AbortSignal.abort(SIGINT())
    await expect(
      smokePlatform(engine, {
        image: 'r.example.test/acme/app',
        platform: platform('linux/amd64'),
        source: { kind: 'local', tag: 'app:smoke' },
        config: EMPTY_CONFIG,
        smoke: smokeSettings({ run: [['true']] }),
        runId: '42-1',
      }),
    ).rejects.toBeInstanceOf(Cancelled)
    expect(engine.calls.filter((c) => c.startsWith('run') || c.startsWith('start'))).toEqual([])
  })
})
