import type { Run } from '../run/run.js'
import type { Inputs } from '../model/inputs.js'
import { formatPlatform } from '../model/platform.js'

export interface ActionOutputs {
  version: string
  digest: string
  tags: string
  platforms: string
  published: 'true' | 'false'
  /** release-draft: the Release is a draft awaiting a person's review (release-id/url name it). */
  'awaiting-review': 'true' | 'false'
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
    'awaiting-review': 'false',
    'release-id': '',
    'release-url': '',
    'skipped-reason': skippedReason,
    components: '{}',
    plan: '',
  }
}

/** Every output, from what the run did; empty strings for what it did not get to. */
export function collectOutputs(run: Run): ActionOutputs {
  const { report } = run
  const release = report.visible.find((v) => v.kind === 'release') ?? report.awaitingReview
  const tags = report.visible.flatMap((v) => (v.kind === 'tag' ? [v.ref] : []))
  return {
    version: report.version ?? '',
    // One image: its digest; several components: the first one's (all are in components).
    digest: report.images[0]?.candidate?.digest ?? '',
    tags: tags.join('\n'),
    platforms: platformsOf(run.inputs),
    published: release && !report.awaitingReview ? 'true' : 'false',
    'awaiting-review': report.awaitingReview ? 'true' : 'false',
    'release-id': release ? String(release.id) : '',
    'release-url': release ? release.url : '',
    'skipped-reason':
      report.skipped ?? (run.trigger.kind === 'build' ? run.trigger.reason : undefined) ?? '',
    components: JSON.stringify(
      Object.fromEntries(
        report.images.map((image) => [
          image.build.name,
          {
            image: image.build.image.name,
            repositories: image.build.repositories.map((r) => r.name),
            digest: image.candidate?.digest ?? '',
            platforms: image.build.platforms.map(formatPlatform),
            tags: tags.filter((t) =>
              image.build.repositories.some((r) => t.startsWith(`${r.name}:`)),
            ),
          },
        ]),
      ),
    ),
    plan: '',
  }
}
