import { PIPELINE, ROLLBACK_PIPELINE, given } from '../../src/pipeline.js'
import type { ArtifactName } from '../../src/run/artifacts.js'
import type { AnyStep } from '../../src/steps/step.js'

/** What each step needs, and the earlier step that gives it; a missing one is named. */
function unmet(steps: readonly AnyStep[]): string[] {
  const given = new Set<ArtifactName>()
  const problems: string[] = []
  for (const step of steps) {
    for (const need of step.needs)
      if (!given.has(need)) problems.push(`${step.name} needs ${need}, which no earlier step gives`)
    for (const gift of step.gives) given.add(gift)
  }
  return problems
}

test.each([
  ['the release', PIPELINE],
  ['the rollback', ROLLBACK_PIPELINE],
])('every step of %s gets what it needs from an earlier step', (_name, steps) => {
  expect(unmet(steps)).toEqual([])
})

test('the order check finds a step placed before what it needs', () => {
  const [preflight, plan, build] = PIPELINE
  if (!preflight || !plan || !build) throw new Error('the pipeline is shorter than three steps')
  expect(unmet([preflight, build, plan])).toEqual([
    'build needs plan, which no earlier step gives',
    'build needs images, which no earlier step gives',
  ])
})

test('a step is handed nothing until what it needs exists, and says what is missing', () => {
  const build = PIPELINE.find((s) => s.name === 'build')
  if (!build) throw new Error('no build step')
  expect(() => given(build, { builder: { driver: 'docker', abilities: {} as never } })).toThrow(
    'step build needs plan, images, which no earlier step gave',
  )
})
