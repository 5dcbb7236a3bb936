import { tagRef, digestRef } from '../model/image-ref.js'
import { verifiedTag } from './plan-release.js'
import { notReleasing, type Step } from './step.js'

export const markVerified: Step = {
  name: 'mark-verified',
  why: 'remember each digest that passed every check, so a re-run of this commit promotes it instead of rebuilding',
  skip: (ctx) =>
    notReleasing(ctx) ??
    (ctx.images.every((run) => run.reused)
      ? `the digest was reused from the ${ctx.images[0]?.reused ?? ''}`
      : undefined),
  reveals: (ctx) =>
    ctx.images
      .filter((run) => !run.reused)
      .map((run) => ({
        kind: 'verified marker',
        ref: tagRef(run.build.image, verifiedTag(ctx.plan?.commit ?? ctx.trigger.commit)),
        announced: false,
      })),
  async run(ctx) {
    const { plan } = ctx
    if (!plan) throw new Error('the checks must pass before the digest is marked')
    for (const run of ctx.images.filter((r) => !r.reused)) {
      const { candidate } = run
      if (!candidate) throw new Error('the checks must pass before the digest is marked')
      const ref = tagRef(run.build.image, verifiedTag(plan.commit))
      await ctx.ports.registry.copy(digestRef(run.build.image, candidate.digest), ref)
      ctx.visible.push({ kind: 'candidate', ref })
      ctx.log.info(`Marked ${candidate.digest} as verified: ${ref}`)
    }
  },
  remedy: () =>
    're-run the workflow; the candidates passed every check and nothing final was written',
}
