import { randomBytes } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import { StepFailure, cancellationOf } from '../model/errors.js'
import type { GitHub } from '../ports/github.js'

/**
 * The ref that holds the release lease: not a branch or a tag, so users never see it. Its
 * commits form a chain; moving the ref by fast-forward only makes taking the lease atomic.
 */
export const LEASE_REF = 'refs/multiarch-release/lease'

/** What one commit of the lease chain says. */
export interface LeaseRecord {
  /** Unique to one run attempt: `<run id>-<attempt>-<random>`. */
  readonly holder: string
  readonly runId: string
  readonly attempt: number
  readonly version: string
  readonly state: 'held' | 'released'
  /** Milliseconds since the epoch after which anyone may take the lease. */
  readonly expires: number
}

const TITLE = 'multiarch-release: release lease'

export function leaseMessage(record: LeaseRecord): string {
  return [
    `${TITLE} ${record.state} by run ${record.runId} attempt ${record.attempt} (${record.version})`,
    '',
    `holder: ${record.holder}`,
    `run: ${record.runId}`,
    `attempt: ${record.attempt}`,
    `version: ${record.version}`,
    `state: ${record.state}`,
    `expires: ${new Date(record.expires).toISOString()}`,
    '',
  ].join('\n')
}

/** Reads a lease commit's message; undefined for anything else (the ref is then free). */
export function parseLease(message: string): LeaseRecord | undefined {
  if (!message.startsWith(TITLE)) return undefined
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}: (.+)$`, 'm').exec(message)?.[1]?.trim()
  const state = field('state')
  const expires = Date.parse(field('expires') ?? '')
  const attempt = Number(field('attempt'))
  const holder = field('holder')
  if ((state !== 'held' && state !== 'released') || Number.isNaN(expires) || !holder)
    return undefined
  return {
    holder,
    runId: field('run') ?? '',
    attempt: Number.isInteger(attempt) ? attempt : 0,
    version: field('version') ?? '',
    state,
    expires,
  }
}

export type LeaseStore = Pick<
  GitHub,
  'refTarget' | 'readCommit' | 'createCommit' | 'createRef' | 'fastForwardRef'
>

export interface LeaseOptions {
  readonly store: LeaseStore
  readonly runId: string
  readonly attempt: number
  readonly version: string
  /** A commit whose tree the first lease commit uses (the released commit). */
  readonly baseCommit: string
  /** How long a lease lasts without renewal: a run that dies holding it blocks others this long. */
  readonly ttlMs: number
  /** How long to wait for another run's lease before giving up. */
  readonly waitMs: number
  readonly log: (message: string) => void
  /** The signal that cancelled the job, if any: waiting stops at once. */
  readonly cancelled: () => string | undefined
  /** Aborts when the job is cancelled: a wait for another run's lease ends at that moment. */
  readonly signal?: AbortSignal
  readonly now?: () => number
  /** Waits, or stops waiting when the signal aborts (resolving or rejecting: the loop checks). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** Whether a lease another run holds can be taken now, and why. */
function takeable(record: LeaseRecord, options: LeaseOptions, now: number): string | undefined {
  if (record.state === 'released') return 'released'
  if (record.expires <= now)
    return `expired at ${new Date(record.expires).toISOString()} (run ${record.runId} stopped holding it)`
  // The runner starts a re-run only once the earlier attempt of the same run has ended.
  if (record.runId === options.runId && record.attempt < options.attempt)
    return `held by attempt ${record.attempt} of this run, which has ended`
  return undefined
}

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  wait(ms, undefined, signal ? { signal } : {}).catch(() => undefined)

/**
 * The release lease: while a run holds it, no other run moves floating tags or publishes, so
 * each run decides from the history the previous one left. Taking it is a ref creation or a
 * fast-forward, which GitHub performs atomically; a lease that is not renewed expires.
 */
export class Lease {
  private constructor(
    private readonly options: LeaseOptions,
    private readonly holder: string,
    private head: string,
    private tree: string,
    private expires: number,
  ) {}

  private static now(options: LeaseOptions): number {
    return (options.now ?? Date.now)()
  }

  private static record(
    options: LeaseOptions,
    holder: string,
    state: LeaseRecord['state'],
    expires: number,
  ): LeaseRecord {
    const { runId, attempt, version } = options
    return { holder, runId, attempt, version, state, expires }
  }

  /** Takes the lease, waiting while another live run holds it. */
  static async acquire(options: LeaseOptions): Promise<Lease> {
    const { store } = options
    const holder = `${options.runId}-${options.attempt}-${randomBytes(6).toString('hex')}`
    const deadline = Lease.now(options) + options.waitMs
    const seen = new Map<string, { record: LeaseRecord | undefined; tree: string }>()
    let waitingFor: string | undefined
    let pause = 250
    for (;;) {
      const signal = options.cancelled() ?? cancellationOf(options.signal, undefined)?.signal
      if (signal !== undefined) {
        throw new StepFailure(
          `the job was cancelled (${signal}) while waiting for the release lease`,
        )
      }
      const now = Lease.now(options)
      const expires = now + options.ttlMs
      const head = await store.refTarget(LEASE_REF)
      if (head === undefined) {
        const { tree } = await store.readCommit(options.baseCommit)
        const message = leaseMessage(Lease.record(options, holder, 'held', expires))
        const sha = await store.createCommit({ message, tree, parents: [] })
        if (await store.createRef(LEASE_REF, sha))
          return new Lease(options, holder, sha, tree, expires)
        continue
      }
      let known = seen.get(head)
      if (!known) {
        const commit = await store.readCommit(head)
        known = { record: parseLease(commit.message), tree: commit.tree }
        seen.set(head, known)
      }
      const { record, tree } = known
      // An answer lost after our own write: the lease is ours already.
      if (record?.holder === holder) return new Lease(options, holder, head, tree, record.expires)
      const why = record === undefined ? 'not a lease' : takeable(record, options, now)
      if (why !== undefined || record === undefined) {
        const message = leaseMessage(Lease.record(options, holder, 'held', expires))
        const sha = await store.createCommit({ message, tree, parents: [head] })
        if (await store.fastForwardRef(LEASE_REF, sha)) {
          if (record?.state === 'held') options.log(`Took the release lease: it was ${why}`)
          return new Lease(options, holder, sha, tree, expires)
        }
        continue
      }
      if (now >= deadline) {
        throw new StepFailure(
          `run ${record.runId} (attempt ${record.attempt}, releasing ${record.version}) still holds the release lease, until ${new Date(record.expires).toISOString()}; this run waited ${Math.round(options.waitMs / 1000)} s and wrote no final tag`,
          're-run the workflow once that run has finished: this run reuses its verified digest and its draft',
        )
      }
      if (waitingFor !== record.holder) {
        waitingFor = record.holder
        options.log(
          `Waiting for run ${record.runId} (releasing ${record.version}) to finish promoting: it holds the release lease until ${new Date(record.expires).toISOString()}`,
        )
      }
      await (options.sleep ?? realSleep)(
        Math.max(10, Math.min(pause, record.expires - now + 10, deadline - now)),
        options.signal,
      )
      pause = Math.min(2_000, pause * 2)
    }
  }

  /**
   * Called before every write under the lease: renews it when half its time is gone, and
   * stops the run when another run took it over after it expired.
   */
  async keep(): Promise<void> {
    const now = Lease.now(this.options)
    if (this.expires - now > this.options.ttlMs / 2) return
    const expires = now + this.options.ttlMs
    if (!(await this.advance('held', expires))) {
      throw new StepFailure(
        'the release lease expired and another run took it over; this run stopped before its next write',
        're-run the workflow: it continues from the tags already promoted',
      )
    }
    this.expires = expires
  }

  /** Gives the lease back at once, so a waiting run need not wait for it to expire. */
  async release(): Promise<void> {
    if (await this.advance('released', Lease.now(this.options))) return
    this.options.log('The release lease had already passed to another run')
  }

  private async advance(state: LeaseRecord['state'], expires: number): Promise<boolean> {
    const { store } = this.options
    const message = leaseMessage(Lease.record(this.options, this.holder, state, expires))
    const sha = await store.createCommit({ message, tree: this.tree, parents: [this.head] })
    if (await store.fastForwardRef(LEASE_REF, sha)) {
      this.head = sha
      return true
    }
    // A lost answer after our own move leaves the ref at our commit.
    if ((await store.refTarget(LEASE_REF)) === sha) {
      this.head = sha
      return true
    }
    return false
  }
}
