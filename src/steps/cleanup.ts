import { tagRef } from '../model/image-ref.js'
import { notReleasing, type Step } from './step.js'

export const cleanup: Step = {
  name: 'cleanup',
  why: 'remove the candidate tags where the registry allows it (the verified-<sha12> marker stays, for re-runs of this commit); a failure here only warns',
  skip: notReleasing,
  async run(ctx) {
    for (const { build } of ctx.images) {
      const prefix = `${build.image.name}:`
      const tags = ctx.visible.flatMap((v) =>
        v.kind === 'candidate' && v.ref.startsWith(prefix) ? [v.ref.slice(prefix.length)] : [],
      )
      for (const tag of tags) {
        const ref = tagRef(build.image, tag)
        try {
          if (await ctx.ports.registry.deleteTag(build.image, tag)) ctx.log.info(`Removed ${ref}`)
          else {
            ctx.log.warning(
              `The registry did not remove ${ref} (it may not allow deleting tags); remove it with the registry's own tools if you like`,
            )
          }
        } catch (error) {
          ctx.log.warning(
            `Removing ${ref} failed: ${error instanceof Error ? error.message : String(error)}`,
          )
        }
      }
    }
  },
  remedy: () => 'nothing to do: the release is complete',
}
