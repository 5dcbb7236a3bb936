import { forgetVerified } from '../release/verified-record.js'
import { defineStep, notReleasing } from './step.js'

export const cleanup = defineStep({
  name: 'cleanup',
  why: 'forget the record of verified digests now that the Release is out; nothing in the registry is deleted (no candidate was ever tagged, and a digest is shared with the final tags)',
  needs: ['plan'],
  gives: [],
  skip: notReleasing,
  async run(ctx, { plan }) {
    try {
      await forgetVerified(ctx.ports.github, plan.commit)
    } catch (error) {
      ctx.log.warning(
        `The record of verified digests could not be removed (${error instanceof Error ? error.message : String(error)}); it is invisible and harmless`,
      )
    }
    return {}
  },
  remedy: () => 'nothing to do: the release is complete',
})
