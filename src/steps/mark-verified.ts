import { tagRef, digestRef } from '../model/image-ref.js'
import { verifiedTag } from './plan-release.js'
import { defineStep, notReleasing } from './step.js'

export const markVerified = defineStep({
  name: 'mark-verified',
  why: 'remember each digest that passed every check, so a re-run of this commit promotes it instead of rebuilding',
  needs: ['plan', 'candidates'],
  gives: [],
  skip: (ctx, { images }) =>
    notReleasing(ctx) ??
    (images && images.length > 0 && images.every((image) => image.reuse)
      ? `the digest was reused from the ${images[0]?.reuse?.from ?? ''}`
      : undefined),
  reveals: (ctx, { images = [], plan }) =>
    images
      .filter((image) => !image.reuse)
      .map((image) => ({
        kind: 'verified marker',
        ref: tagRef(image.build.image, verifiedTag(plan?.commit ?? ctx.trigger.commit)),
        announced: false,
      })),
  async run(ctx, { plan, candidates }) {
    for (const { image, digest } of candidates.filter((c) => !c.image.reuse)) {
      const ref = tagRef(image.build.image, verifiedTag(plan.commit))
      await ctx.ports.registry.copy(digestRef(image.build.image, digest), ref)
      ctx.report.visible.push({ kind: 'candidate', ref })
      ctx.log.info(`Marked ${digest} as verified: ${ref}`)
    }
    return {}
  },
  remedy: () =>
    're-run the workflow; the candidates passed every check and nothing final was written',
})
