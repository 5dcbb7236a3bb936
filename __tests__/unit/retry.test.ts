import type { AttemptResult, RetryPolicy } from '../../src/ports/retry.js'
import { TRANSIENT_FAILURE, retryCommand, retryPolicy } from '../../src/ports/retry.js'

const FAST: RetryPolicy = { retries: 4, minTimeoutMs: 1, maxTimeoutMs: 2 }
const ok: AttemptResult = { exitCode: 0, stderr: '' }
const failed = (stderr: string): AttemptResult => ({ exitCode: 1, stderr })

/** An attempt that gives the results in order, counting its calls. */
function scripted(results: readonly AttemptResult[]) {
  let calls = 0
  const attempt = (): Promise<AttemptResult> => {
    const result = results[Math.min(calls, results.length - 1)] ?? ok
    calls++
    return Promise.resolve(result)
  }
  return { attempt, calls: () => calls }
}

test.each<[string, boolean]>([
  [
    'unexpected status from PUT request to http://r/v2/a/manifests/x: 503 Service Unavailable',
    true,
  ],
  ['received unexpected HTTP status: 500 Internal Server Error', true],
  ['toomanyrequests: You have reached your pull rate limit', true],
  ['429 Too Many Requests', true],
  ['read tcp 10.0.0.1:443: read: connection reset by peer', true],
  ['dial tcp 127.0.0.1:5000: connect: connection refused', true],
  ['net/http: TLS handshake timeout', true],
  ['unexpected EOF', true],
  ['unauthorized: authentication required', false],
  ['manifest unknown: 404 Not Found', false],
  ['400 Bad Request', false],
  ['process "/bin/sh -c make" did not complete successfully: exit code: 2', false],
  ['image sha256:5030abc is 5030 bytes', false],
])('TRANSIENT_FAILURE matches %j: %s', (stderr, transient) => {
  expect(TRANSIENT_FAILURE.test(stderr)).toBe(transient)
})

test('retryPolicy waits about 1, 2, 4 and 8 backoff units, four times', () => {
  expect(retryPolicy(1000)).toEqual({ retries: 4, minTimeoutMs: 500, maxTimeoutMs: 8000 })
})

describe('retryCommand', () => {
  test('a transient failure is tried again, each retry logged with its last error line', async () => {
    const { attempt, calls } = scripted([
      failed('pushing layers\nERROR: 503 Service Unavailable\n'),
      ok,
    ])
    const warnings: string[] = []
    const result = await retryCommand('pushing', attempt, (m) => warnings.push(m), FAST)
    expect(result).toEqual(ok)
    expect(calls()).toBe(2)
    expect(warnings).toEqual([
      'pushing: attempt 1 failed (ERROR: 503 Service Unavailable); retrying',
    ])
  })

  test('a failure a retry cannot cure is returned at once', async () => {
    const { attempt, calls } = scripted([failed('unauthorized: authentication required')])
    const warnings: string[] = []
    const result = await retryCommand('pushing', attempt, (m) => warnings.push(m), FAST)
    expect(result.exitCode).toBe(1)
    expect(calls()).toBe(1)
    expect(warnings).toEqual([])
  })

  test('after four retries the last failure is returned, not thrown', async () => {
    const last = failed('502 Bad Gateway (5)')
    const { attempt, calls } = scripted([
      failed('502 Bad Gateway (1)'),
      failed('502 Bad Gateway (2)'),
      failed('502 Bad Gateway (3)'),
      failed('502 Bad Gateway (4)'),
      last,
    ])
    const warnings: string[] = []
    const result = await retryCommand('reading', attempt, (m) => warnings.push(m), FAST)
    expect(result).toBe(last)
    expect(calls()).toBe(5)
    expect(warnings).toHaveLength(4)
  })

  test('the caller decides what is transient', async () => {
    const { attempt, calls } = scripted([failed('400 Bad Request'), ok])
    const result = await retryCommand(
      'pushing',
      attempt,
      () => undefined,
      FAST,
      (r) => r.stderr.includes('400'),
    )
    expect(result).toEqual(ok)
    expect(calls()).toBe(2)
  })

  test('a success is returned without a retry', async () => {
    const { attempt, calls } = scripted([ok])
    expect(await retryCommand('x', attempt, () => undefined, FAST)).toEqual(ok)
    expect(calls()).toBe(1)
  })

  test('an attempt that throws is tried again, and its error thrown once retries run out', async () => {
    let calls = 0
    const attempt = (): Promise<AttemptResult> => {
      calls++
      return Promise.reject(new Error('spawn docker EAGAIN'))
    }
    await expect(retryCommand('x', attempt, () => undefined, FAST)).rejects.toThrow(
      'spawn docker EAGAIN',
    )
    expect(calls).toBe(5)
  })
})
