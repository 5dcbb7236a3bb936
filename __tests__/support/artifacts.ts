import { driverAbilities } from '../../src/build/strategy.js'
import type { Artifacts, BuilderFacts, ReleasePlan, Reuse } from '../../src/run/artifacts.js'
import type { Run } from '../../src/run/run.js'
import { identityOf } from '../../src/steps/image-metadata.js'

/** What preflight and the plan step hand on, for a run whose plan a test decides itself. */
export function planned(
  run: Run,
  plan: ReleasePlan,
  options: { builder?: BuilderFacts; reuse?: Reuse } = {},
): Pick<Artifacts, 'builder' | 'plan' | 'images' | 'published'> {
  const builder = options.builder ?? {
    driver: 'docker',
    abilities: driverAbilities('docker', true),
  }
  return {
    builder,
    plan,
    images: run.inputs.components.map((build) => ({
      build,
      identity: identityOf(run, plan, build, builder),
      reuse: options.reuse,
    })),
    published: undefined,
  }
}
