import { splitReference } from '../model/image-ref.js'
import { defineStep, notReleasing } from './step.js'

export const cleanup = defineStep({
  name: 'cleanup',
  why: 'remove the candidate tags this run pushed, by tag, where the registry allows it (never a marker, never by digest: a final tag shares it); a failure here only warns',
  needs: ['candidates'],
  gives: [],
  skip: notReleasing,
  async run(ctx, { candidates }) {
    for (const { image, pushedTags } of candidates) {
      for (const ref of pushedTags) {
        const { reference: tag } = splitReference(ref)
        try {
          if (await ctx.ports.registry.deleteTag(image.build.image, tag))
            ctx.log.info(`Removed ${ref}`)
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
    return {}
  },
  remedy: () => 'nothing to do: the release is complete',
})
