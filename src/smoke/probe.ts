import { types } from 'node:util'
import {
  describeExpectation,
  expectationHolds,
  type CheckOutcome,
  type HttpProbe,
} from '../model/smoke.js'
import type { ContainerEngine } from '../ports/engine.js'
import { tail } from '../ports/process.js'
import type { Clock, Deadline } from './clock.js'
import type { ContainerSpec } from './docker-run-args.js'

/**
 * Polls soon after the start (a small server answers within milliseconds), then backs off to
 * this: a poll is one request on loopback, and a miss costs at most one interval.
 */
export const POLL_MS = 100
export const FIRST_POLL_MS = 10
/** Whether the container stopped is asked at most this often: each question starts a process. */
export const EXIT_CHECK_MS = 1000

/** What a failed request says: the cause of fetch's "fetch failed" (such as ECONNREFUSED). */
function failureOf(error: unknown): string {
  // isNativeError, not instanceof: fetch's errors may come from another realm (a test's VM).
  if (!types.isNativeError(error)) return String(error)
  return types.isNativeError(error.cause) ? error.cause.message : error.message
}

/**
 * Starts the image detached with the probe's port published, and polls it until it answers as
 * expected, the container exits, or the deadline passes; the container is removed in any case,
 * in the background.
 */
export async function probeCheck(
  engine: ContainerEngine,
  spec: ContainerSpec,
  probe: HttpProbe,
  deadline: Deadline,
  clock: Clock,
): Promise<CheckOutcome> {
  const name = `http ${probe.port}${probe.path}`
  const started = await engine.startDetached(spec, probe.port)
  if (!started.ok)
    return { name, ok: false, detail: `the container did not start: ${tail(started.error, 4)}` }
  const log = async (): Promise<string> => tail(await engine.logs(spec.name, 20), 10)
  // Why a container that stopped did so: its exit code and the end of its log.
  const exited = async (): Promise<CheckOutcome | undefined> => {
    const state = await engine.state(spec.name)
    if (state.status !== 'exited') return undefined
    return {
      name,
      ok: false,
      detail: `the container exited (code ${state.exitCode ?? '?'}) before answering; its log: ${await log()}`,
    }
  }
  try {
    const port = await engine.publishedPort(spec.name, probe.port)
    if (port.hostPort === undefined) {
      return (
        (await exited()) ?? {
          name,
          ok: false,
          detail: `port ${probe.port} was not published: ${tail(port.error, 2)}`,
        }
      )
    }
    const url = `http://127.0.0.1:${port.hostPort}${probe.path}`
    let last = 'no answer yet'
    let interval = FIRST_POLL_MS
    let askedAt = clock.now()
    while (deadline.remaining() > 0) {
      try {
        const timeout = AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline.remaining())))
        const response = await fetch(url, {
          signal: deadline.cancellation
            ? AbortSignal.any([timeout, deadline.cancellation])
            : timeout,
        })
        const body = await response.text()
        if (expectationHolds(probe.expect, response.status, body)) {
          return { name, ok: true, detail: `${response.status} from ${probe.path}` }
        }
        last = `${response.status} ${JSON.stringify(body.trim().slice(0, 200))}`
      } catch (error) {
        last = failureOf(error)
      }
      // Asked while waiting for the next poll rather than on top of it.
      const ask = clock.now() - askedAt >= EXIT_CHECK_MS
      if (ask) askedAt = clock.now()
      const [stopped] = await Promise.all([
        ask ? exited() : undefined,
        clock.sleep(Math.min(interval, deadline.remaining()), deadline.cancellation),
      ])
      if (stopped) return stopped
      interval = Math.min(POLL_MS, interval * 2)
    }
    return {
      name,
      ok: false,
      detail: `timed out waiting for ${describeExpectation(probe.expect)} (last: ${last}); its log: ${await log()}`,
    }
  } finally {
    // The verdict is in: the removal (a second or more for a running container) goes on
    // while the run moves on.
    engine.removeLater(spec.name)
  }
}
