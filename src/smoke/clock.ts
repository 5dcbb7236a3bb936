import { setTimeout as wait } from 'node:timers/promises'

/** Time as the smoke tests see it: the system's, or a virtual one in unit tests. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
  /** A signal that aborts once `ms` have passed. */
  timeout(ms: number): AbortSignal
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => wait(ms),
  timeout: (ms) => AbortSignal.timeout(ms),
}

/** The moment a platform's smoke tests must be done by. */
export class Deadline {
  private readonly at: number

  constructor(
    private readonly clock: Clock,
    ms: number,
  ) {
    this.at = clock.now() + ms
  }

  remaining(): number {
    return Math.max(0, this.at - this.clock.now())
  }

  /** Aborts when the deadline passes. */
  signal(): AbortSignal {
    return this.clock.timeout(this.remaining())
  }
}
