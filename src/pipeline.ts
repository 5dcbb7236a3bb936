import { ReleaseError, StepFailure, messageOf } from './model/errors.js'
import type { ArtifactName, Artifacts } from './run/artifacts.js'
import { visibility, type StepRecord } from './run/report.js'
import type { Run } from './run/run.js'
import type { AnyStep } from './steps/step.js'
import { preflight } from './steps/preflight.js'
import { planRelease } from './steps/plan-release.js'
import { build } from './steps/build.js'
import { assertManifest } from './steps/assert-manifest.js'
import { smoke, smokeReleased } from './steps/smoke.js'
import { markVerified } from './steps/mark-verified.js'
import { sign } from './steps/sign.js'
import { replicate } from './steps/replicate.js'
import { draftRelease } from './steps/draft-release.js'
import { promote } from './steps/promote.js'
import { publish } from './steps/publish.js'
import { cleanup } from './steps/cleanup.js'
import { takeLease } from './steps/take-lease.js'
import { checkRollback, markLatest, moveFloatingTags } from './steps/rollback.js'

/** The release, in order. The order is the guarantee: nothing final before its proof. */
export const PIPELINE: readonly AnyStep[] = [
  preflight, // check engine, builder, workspace and token before spending time building
  planRelease, // version and tags from inputs, tag or labels; what earlier runs left
  build, // build every platform and push to a candidate reference, never a final tag
  assertManifest, // the pushed index holds exactly the requested platforms, each real
  smoke, // every platform runs from the registry by digest before anything is final
  markVerified, // remember the verified digest, so a re-run promotes it instead of rebuilding
  replicate, // the verified digest into every further repository, read back, before any final tag
  sign, // sign and verify each digest before any final tag (sign: key or keyless)
  draftRelease, // the Release as an invisible draft with notes and assets, before any final tag
  takeLease, // runs releasing other versions promote and publish one after the other
  promote, // version tag first, floating tags last (never below the history), each read back
  publish, // the Release becomes visible only after every tag reads back as the digest
  cleanup, // forget the record of verified digests; the registry holds the final tags and nothing else
]

/** A rollback: nothing is built; a released version becomes the latest again. */
export const ROLLBACK_PIPELINE: readonly AnyStep[] = [
  preflight, // check the engine and the token
  checkRollback, // the version was released: its Release, every image, every platform
  smokeReleased, // optionally, the smoke tests again on the version rolled back to
  takeLease, // no release promotes while the floating tags move back
  moveFloatingTags, // latest (or the channel's tag) and the 1.2 / 1 tags back to the version
  markLatest, // its Release becomes the latest again
]

/** What the steps of one run have handed on so far. */
export type Found = { -readonly [K in ArtifactName]?: Artifacts[K] }

/**
 * What a step needs, taken from what earlier steps gave. A missing result is a pipeline that
 * lists its steps in the wrong order: a bug of the action, never a user's mistake.
 */
export function given(step: AnyStep, found: Found): Artifacts {
  const missing = step.needs.filter((name) => !(name in found))
  if (missing.length > 0) {
    throw new Error(`step ${step.name} needs ${missing.join(', ')}, which no earlier step gave`)
  }
  return found as Artifacts
}

/**
 * Runs the steps in order, collecting their results in `found` (the caller keeps it, to give
 * back a lease or log out whatever happened); the first failure stops the run as a
 * ReleaseError that says where things stand.
 */
export async function runPipeline(
  run: Run,
  steps: readonly AnyStep[] = PIPELINE,
  found: Found = {},
): Promise<Found> {
  const { report } = run
  for (const step of steps) {
    const record: StepRecord = { name: step.name, startedAt: Date.now() }
    report.timeline.push(record)
    if (run.cancellation.signal !== undefined) {
      Object.assign(record, { endedAt: Date.now(), outcome: 'failed', note: 'cancelled' })
      throw new ReleaseError(
        step.name,
        `the job was cancelled (${run.cancellation.signal}) before this step`,
        visibility(report),
        're-run the workflow: it picks up where this run stopped',
      )
    }
    const skipReason = report.skipped ?? step.skip?.(run, found)
    if (skipReason !== undefined) {
      if (report.skipped === undefined && step.pass)
        Object.assign(found, step.pass(run, given(step, found)))
      Object.assign(record, { endedAt: Date.now(), outcome: 'skipped', note: skipReason })
      run.log.info(`Step ${step.name}: skipped (${skipReason})`)
      continue
    }
    try {
      const out = await step.run(run, given(step, found))
      if ('stop' in out) {
        report.skipped = out.stop
        run.log.info(`Nothing to release: ${out.stop}`)
      } else Object.assign(found, out)
      Object.assign(record, { endedAt: Date.now(), outcome: 'done' })
    } catch (error) {
      Object.assign(record, { endedAt: Date.now(), outcome: 'failed', note: messageOf(error) })
      if (error instanceof ReleaseError) throw error
      const remedy = error instanceof StepFailure && error.remedy ? error.remedy : step.remedy(run)
      throw new ReleaseError(step.name, messageOf(error), visibility(report), remedy)
    }
  }
  return found
}
