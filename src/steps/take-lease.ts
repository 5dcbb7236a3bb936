import type { Run } from '../run/run.js'
import { Lease } from '../release/lease.js'
import { defineStep, skipWhenReleaseDone } from './step.js'

/** Takes the release lease for this run; it is given back when the run ends, whatever happened. */
export async function holdLease(ctx: Run, version: string, commit: string): Promise<Lease> {
  const lease = await Lease.acquire({
    store: ctx.ports.github,
    runId: ctx.env.runId,
    attempt: Number(ctx.env.runAttempt) || 1,
    version,
    baseCommit: commit,
    ttlMs: ctx.env.leaseTtlMs,
    waitMs: ctx.env.leaseWaitMs,
    log: (message) => {
      ctx.log.info(message)
    },
    cancelled: () => ctx.cancellation.signal,
    ...(ctx.cancellation.abortSignal ? { signal: ctx.cancellation.abortSignal } : {}),
  })
  // The next run need not wait for it to expire.
  ctx.onExit.add('give back the release lease', () => lease.release())
  ctx.log.info(`Holding the release lease (${version})`)
  return lease
}

export const takeLease = defineStep({
  name: 'lease',
  why: 'take the release lease, so that runs releasing other versions move the floating tags and GitHub’s Latest one after the other, each deciding from what the previous one left',
  needs: ['plan'],
  gives: ['lease'],
  // A published Release needs no lease, unless promotion finds a tag still to write.
  skip: skipWhenReleaseDone,
  pass: () => ({ lease: undefined }),
  reveals: () => [],
  async run(ctx, { plan }) {
    return { lease: await holdLease(ctx, plan.version, plan.commit) }
  },
  remedy: () =>
    're-run the workflow once the other run has finished: this run reuses its verified digest and its draft; no final tag was written',
})
