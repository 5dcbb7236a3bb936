// A single-image release run on fakes, planned and built: what the release steps are given.
import type { Artifacts, ReleasePlan } from '../../src/run/artifacts.js'
import type { ImageReport } from '../../src/run/report.js'
import type { Run } from '../../src/run/run.js'
import { finalTags, type FinalTag } from '../../src/model/tags.js'
import { planned } from './artifacts.js'
import { contextFor } from './context.js'
import { FakeGitHub, FakeRegistry } from './fakes.js'

export const IMAGE = 'r.example.test/acme/app'
/** What users see of the only image of these single-image releases. */
export const image = (ctx: Run): ImageReport => {
  const [run] = ctx.report.images
  if (!run) throw new Error('no image')
  return run
}
export const DIGEST = 'sha256:1111'
export const OLD = 'sha256:0000'
export const COMMIT = '0123456789abcdef0123456789abcdef01234567'
export const OTHER_COMMIT = 'fedcba9876543210fedcba9876543210fedcba98'

export type Have = Pick<Artifacts, 'plan' | 'candidates' | 'replicas' | 'lease' | 'published'>

export function releaseContext(
  version: string,
  channel: 'stable' | 'rc',
  values: Record<string, string> = {},
): { ctx: Run; registry: FakeRegistry; github: FakeGitHub; have: Have } {
  const registry = new FakeRegistry()
  const github = new FakeGitHub()
  const ch =
    channel === 'stable'
      ? ({ kind: 'stable' } as const)
      : ({ kind: 'prerelease', name: 'rc' } as const)
  const ctx = contextFor({ image: IMAGE, ...values }, { registry, github })
  const plan: ReleasePlan = {
    version,
    channel: ch,
    commit: COMMIT,
    commitTime: 0,
    gitTag: `v${version}`,
    tags: finalTags(version, ch) as FinalTag[],
  }
  const { images } = planned(ctx, plan)
  const candidates = images.map((i) => ({
    image: i,
    ref: `${IMAGE}:candidate`,
    digest: DIGEST,
    pushedTags: [],
  }))
  return {
    ctx,
    registry,
    github,
    have: { plan, candidates, replicas: [], lease: undefined, published: undefined },
  }
}
