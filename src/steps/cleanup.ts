import { tagRef } from '../model/image-ref.js'
import type { Step } from './step.js'

export const cleanup: Step = {
  name: 'cleanup',
  why: 'remove the candidate and verified tags where the registry allows it; a failure here only warns',
  skip: (ctx) => (ctx.mode === 'build' ? 'build-only run' : undefined),
  async run(ctx) {
    const prefix = `${ctx.inputs.image.name}:`
    const tags = ctx.visible.flatMap((v) =>
      v.kind === 'candidate' && v.ref.startsWith(prefix) ? [v.ref.slice(prefix.length)] : [],
    )
    for (const tag of tags) {
      try {
        if (await ctx.ports.registry.deleteTag(ctx.inputs.image, tag)) {
          ctx.log.info(`Removed ${tagRef(ctx.inputs.image, tag)}`)
        } else {
          ctx.log.warning(
            `The registry did not remove ${tagRef(ctx.inputs.image, tag)} (it may not allow deleting tags); remove it with the registry's own tools if you like`,
          )
        }
      } catch (error) {
        ctx.log.warning(
          `Removing ${tagRef(ctx.inputs.image, tag)} failed: ${error instanceof Error ? error.message : String(error)}`,
        )
      }
    }
  },
  remedy: () => 'nothing to do: the release is complete',
}
