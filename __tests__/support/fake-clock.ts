import type { Clock } from '../../src/smoke/clock.js'

/**
 * Virtual time: it passes only when the code under test sleeps (as if each sleep took exactly
 * its time) or when a test advances it; timeouts abort when it passes their moment.
 */
export class FakeClock implements Clock {
  /** Every sleep asked for, in order. */
  readonly sleeps: number[] = []
  private time = 1_800_000_000_000
  private timers: { at: number; controller: AbortController }[] = []

  now(): number {
    return this.time
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.advance(ms)
    return Promise.resolve()
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController()
    this.timers.push({ at: this.time + ms, controller })
    this.advance(0)
    return controller.signal
  }

  /** Moves time on and aborts every timeout that is due, earliest first. */
  advance(ms: number): void {
    this.time += ms
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)
    this.timers = this.timers.filter((t) => t.at > this.time)
    for (const timer of due) timer.controller.abort(new Error('timed out'))
  }
}
