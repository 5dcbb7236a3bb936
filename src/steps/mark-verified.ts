import type { RunContext } from '../context.js'
import { tagRef, digestRef } from '../model/image-ref.js'
import { verifiedTag } from './plan-release.js'
import type { Step } from './step.js'

export const markVerified: Step = {
  name: 'mark-verified',
  why: 'remember the digest that passed every check, so a re-run of this commit promotes it instead of rebuilding',
  skip: (ctx: RunContext) =>
    ctx.mode === 'build'
      ? 'build-only run'
      : ctx.reused
        ? `the digest was reused from the ${ctx.reused}`
        : undefined,
  async run(ctx) {
    const { candidate, plan, inputs } = ctx
    if (!candidate || !plan) throw new Error('the checks must pass before the digest is marked')
    const ref = tagRef(inputs.image, verifiedTag(plan.commit))
    await ctx.ports.registry.copy(digestRef(inputs.image, candidate.digest), ref)
    ctx.visible.push({ kind: 'candidate', ref })
    ctx.log.info(`Marked ${candidate.digest} as verified: ${ref}`)
  },
  remedy: () =>
    're-run the workflow; the candidate passed every check and nothing final was written',
}
