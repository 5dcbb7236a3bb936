import { recordVerified } from '../release/verified-record.js'
import { defineStep, notReleasing } from './step.js'

export const markVerified = defineStep({
  name: 'mark-verified',
  why: 'remember each digest that passed every check in a ref of the repository outside branches and tags (never a tag, removed once the Release is published), so a re-run of this commit promotes it instead of rebuilding',
  needs: ['plan', 'candidates'],
  gives: [],
  skip: (ctx, { images }) =>
    notReleasing(ctx) ??
    (images && images.length > 0 && images.every((image) => image.reuse)
      ? `the digest was reused from the ${images[0]?.reuse?.from ?? ''}`
      : undefined),
  async run(ctx, { plan, candidates }) {
    const fresh = candidates.filter((c) => !c.image.reuse)
    await recordVerified(
      ctx.ports.github,
      plan.commit,
      fresh.map(({ image, digest }) => ({
        image: image.build.image.name,
        digest,
        identity: image.identity,
        version: plan.version,
      })),
    )
    for (const { digest } of fresh) ctx.log.info(`Recorded ${digest} as verified`)
    return {}
  },
  remedy: () =>
    're-run the workflow; the candidates passed every check and nothing final was written',
})
