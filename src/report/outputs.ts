import type { RunContext } from '../context.js'
import type { Inputs } from '../model/inputs.js'
import { formatPlatform } from '../model/platform.js'
import type { ReleasePreview } from '../plan/preview.js'

export interface ActionOutputs {
  version: string
  digest: string
  tags: string
  platforms: string
  published: 'true' | 'false'
  'release-id': string
  'release-url': string
  'skipped-reason': string
  components: string
  /** mode plan: the plan as JSON. */
  plan: string
}

const platformsOf = (inputs: Inputs): string =>
  [...new Set(inputs.components.flatMap((c) => c.platforms.map(formatPlatform)))].join(',')

/** The outputs of a run that stopped before its pipeline: nothing built, nothing published. */
export function emptyOutputs(inputs: Inputs, skippedReason: string): ActionOutputs {
  return {
    version: '',
    digest: '',
    tags: '',
    platforms: platformsOf(inputs),
    published: 'false',
    'release-id': '',
    'release-url': '',
    'skipped-reason': skippedReason,
    components: '{}',
    plan: '',
  }
}

/** Every output, from what the run did; empty strings for what it did not get to. */
export function collectOutputs(ctx: RunContext): ActionOutputs {
  const release = ctx.visible.find((v) => v.kind === 'release')
  const tags = ctx.visible.flatMap((v) => (v.kind === 'tag' ? [v.ref] : []))
  return {
    version: ctx.plan?.version ?? '',
    // One image: its digest; several components: the first one's (all are in components).
    digest: ctx.images[0]?.candidate?.digest ?? '',
    tags: tags.join('\n'),
    platforms: platformsOf(ctx.inputs),
    published: release ? 'true' : 'false',
    'release-id': release ? String(release.id) : '',
    'release-url': release ? release.url : '',
    'skipped-reason':
      ctx.skipped ?? (ctx.trigger.kind === 'build' ? ctx.trigger.reason : undefined) ?? '',
    components: JSON.stringify(
      Object.fromEntries(
        ctx.images.map((run) => [
          run.build.name,
          {
            image: run.build.image.name,
            digest: run.candidate?.digest ?? '',
            platforms: run.build.platforms.map(formatPlatform),
            tags: tags.filter((t) => t.startsWith(`${run.build.image.name}:`)),
          },
        ]),
      ),
    ),
    plan: '',
  }
}

/** A plan's outputs: what the run would release, and the plan itself as JSON. */
export function planOutputs(base: ActionOutputs, preview: ReleasePreview): ActionOutputs {
  return {
    ...base,
    version: preview.version,
    'skipped-reason': preview.skipped ?? '',
    tags: preview.images.flatMap((image) => image.tags).join('\n'),
    components: JSON.stringify(
      Object.fromEntries(
        preview.images.map((image) => [
          image.name,
          {
            image: image.image,
            digest: image.reused?.digest ?? '',
            platforms: image.platforms,
            tags: image.tags,
          },
        ]),
      ),
    ),
    plan: JSON.stringify(preview),
  }
}
