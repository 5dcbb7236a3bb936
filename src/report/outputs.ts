import type { RunContext } from '../context.js'
import type { Inputs } from '../model/inputs.js'
import { formatPlatform } from '../model/platform.js'

export interface ActionOutputs {
  version: string
  digest: string
  tags: string
  platforms: string
  published: 'true' | 'false'
  'release-id': string
  'release-url': string
  'skipped-reason': string
}

/** The outputs of a run that stopped before its pipeline: nothing built, nothing published. */
export function emptyOutputs(inputs: Inputs, skippedReason: string): ActionOutputs {
  return {
    version: '',
    digest: '',
    tags: '',
    platforms: inputs.platforms.map(formatPlatform).join(','),
    published: 'false',
    'release-id': '',
    'release-url': '',
    'skipped-reason': skippedReason,
  }
}

/** Every output, from what the run did; empty strings for what it did not get to. */
export function collectOutputs(ctx: RunContext): ActionOutputs {
  const release = ctx.visible.find((v) => v.kind === 'release')
  const tags = ctx.visible.flatMap((v) => (v.kind === 'tag' ? [v.ref] : []))
  return {
    version: ctx.plan?.version ?? '',
    digest: ctx.candidate?.digest ?? '',
    tags: tags.join('\n'),
    platforms: ctx.inputs.platforms.map(formatPlatform).join(','),
    published: release ? 'true' : 'false',
    'release-id': release ? String(release.id) : '',
    'release-url': release ? release.url : '',
    'skipped-reason': ctx.skipped ?? '',
  }
}
