import { StepFailure } from '../model/errors.js'
import { tagRef } from '../model/image-ref.js'
import { skipWhenReleaseDone, type Step } from './step.js'

export const publish: Step = {
  name: 'publish',
  why: 'make the Release visible only once every final tag reads back as the promoted digest',
  skip: skipWhenReleaseDone,
  async run(ctx) {
    const { plan, candidate, release, inputs } = ctx
    if (!plan || !candidate || !release)
      throw new Error('the draft and the tags must exist before publishing')
    for (const { tag } of plan.tags.filter((t) => !ctx.keptFloating.includes(t.tag))) {
      const ref = tagRef(inputs.image, tag)
      const current = await ctx.ports.registry.manifest(ref, { expectPresent: true })
      if (current?.digest !== candidate.digest) {
        throw new StepFailure(
          `${ref} resolves to ${current?.digest ?? 'nothing'}, not to the promoted ${candidate.digest}; the Release stays a draft`,
        )
      }
    }
    const stable = plan.channel.kind === 'stable'
    const published = await ctx.ports.github.publish(release.id, {
      prerelease: !stable,
      makeLatest: stable && !ctx.keptFloating.includes('latest'),
    })
    ctx.release = published
    ctx.visible.push({ kind: 'release', id: published.id, url: published.htmlUrl })
    ctx.log.info(`Published ${published.htmlUrl}`)
  },
  remedy: () => 're-run the workflow: the image is promoted; the re-run only publishes the Release',
}
