import { setTimeout as wait } from 'node:timers/promises'

/** Time as the smoke tests see it: the system's, or a virtual one in unit tests. */
export interface Clock {
  now(): number
  /** Waits `ms`, or less when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** A signal that aborts once `ms` have passed. */
  timeout(ms: number): AbortSignal
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => wait(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
  timeout: (ms) => AbortSignal.timeout(ms),
}

/** The moment a platform's smoke tests must be done by; the job's cancellation brings it forward. */
export class Deadline {
  /** Milliseconds since the epoch (on the clock) when the time is up. */
  readonly at: number

  constructor(
    private readonly clock: Clock,
    ms: number,
    /** The job's cancellation: once it aborts, no time is left. */
    readonly cancellation?: AbortSignal,
  ) {
    this.at = clock.now() + ms
  }

  remaining(): number {
    if (this.cancellation?.aborted) return 0
    return Math.max(0, this.at - this.clock.now())
  }

  /** Aborts when the deadline passes or the job is cancelled. */
  signal(): AbortSignal {
    const timeout = this.clock.timeout(this.remaining())
    return this.cancellation ? AbortSignal.any([timeout, this.cancellation]) : timeout
  }
}
