import type { RunContext } from '../context.js'
import { Lease } from '../release/lease.js'
import { skipWhenReleaseDone, type Step } from './step.js'

/** Takes the release lease for this run, unless it holds it already. */
export async function holdLease(ctx: RunContext): Promise<Lease> {
  if (ctx.lease) return ctx.lease
  const version = ctx.plan?.version ?? ctx.inputs.version?.version ?? ''
  ctx.lease = await Lease.acquire({
    store: ctx.ports.github,
    runId: ctx.env.runId,
    attempt: Number(ctx.env.runAttempt) || 1,
    version,
    baseCommit: ctx.plan?.commit || ctx.trigger.commit,
    ttlMs: ctx.env.leaseTtlMs,
    waitMs: ctx.env.leaseWaitMs,
    log: (message) => {
      ctx.log.info(message)
    },
    cancelled: () => ctx.cancellation.signal,
    ...(ctx.cancellation.abortSignal ? { signal: ctx.cancellation.abortSignal } : {}),
  })
  ctx.log.info(`Holding the release lease (${version})`)
  return ctx.lease
}

export const takeLease: Step = {
  name: 'lease',
  why: 'take the release lease, so that runs releasing other versions move the floating tags and GitHub’s Latest one after the other, each deciding from what the previous one left',
  // A published Release needs no lease, unless promotion finds a tag still to write.
  skip: skipWhenReleaseDone,
  reveals: () => [],
  async run(ctx) {
    await holdLease(ctx)
  },
  remedy: () =>
    're-run the workflow once the other run has finished: this run reuses its verified digest and its draft; no final tag was written',
}
