import { visibility, type RunContext } from './context.js'
import { ReleaseError, StepFailure, messageOf } from './model/errors.js'
import type { Step } from './steps/step.js'
import { preflight } from './steps/preflight.js'
import { planRelease } from './steps/plan-release.js'
import { build } from './steps/build.js'
import { assertManifest } from './steps/assert-manifest.js'
import { smoke } from './steps/smoke.js'
import { markVerified } from './steps/mark-verified.js'
import { sign } from './steps/sign.js'
import { draftRelease } from './steps/draft-release.js'
import { promote } from './steps/promote.js'
import { publish } from './steps/publish.js'
import { cleanup } from './steps/cleanup.js'
import { takeLease } from './steps/take-lease.js'
import { checkRollback, markLatest, moveFloatingTags } from './steps/rollback.js'

/** The release, in order. The order is the guarantee: nothing final before its proof. */
export const PIPELINE: readonly Step[] = [
  preflight, // check engine, builder, workspace and token before spending time building
  planRelease, // version and tags from inputs, tag or labels; what earlier runs left
  build, // build every platform and push to a candidate reference, never a final tag
  assertManifest, // the pushed index holds exactly the requested platforms, each real
  smoke, // every platform runs from the registry by digest before anything is final
  markVerified, // remember the verified digest, so a re-run promotes it instead of rebuilding
  sign, // sign and verify each digest before any final tag (sign: key or keyless)
  draftRelease, // the Release as an invisible draft with notes and assets, before any final tag
  takeLease, // runs releasing other versions promote and publish one after the other
  promote, // version tag first, floating tags last (never below the history), each read back
  publish, // the Release becomes visible only after every tag reads back as the digest
  cleanup, // remove candidate tags where the registry allows; only warns
]

/** A rollback: nothing is built; a released version becomes the latest again. */
export const ROLLBACK_PIPELINE: readonly Step[] = [
  preflight, // check the engine and the token
  checkRollback, // the version was released: its Release, every image, every platform
  smoke, // optionally, the smoke tests again on the version rolled back to
  takeLease, // no release promotes while the floating tags move back
  moveFloatingTags, // latest (or the channel's tag) and the 1.2 / 1 tags back to the version
  markLatest, // its Release becomes the latest again
]

/** Runs the steps in order; the first failure stops the run as a ReleaseError that says where things stand. */
export async function runPipeline(
  ctx: RunContext,
  steps: readonly Step[] = PIPELINE,
): Promise<void> {
  for (const step of steps) {
    const record: RunContext['timeline'][number] = { name: step.name, startedAt: Date.now() }
    ctx.timeline.push(record)
    if (ctx.cancellation.signal !== undefined) {
      Object.assign(record, { endedAt: Date.now(), outcome: 'failed', note: 'cancelled' })
      throw new ReleaseError(
        step.name,
        `the job was cancelled (${ctx.cancellation.signal}) before this step`,
        visibility(ctx),
        're-run the workflow: it picks up where this run stopped',
      )
    }
    const skipReason = ctx.skipped ?? step.skip?.(ctx)
    if (skipReason !== undefined) {
      Object.assign(record, { endedAt: Date.now(), outcome: 'skipped', note: skipReason })
      ctx.log.info(`Step ${step.name}: skipped (${skipReason})`)
      continue
    }
    try {
      await step.run(ctx)
      Object.assign(record, { endedAt: Date.now(), outcome: 'done' })
    } catch (error) {
      Object.assign(record, { endedAt: Date.now(), outcome: 'failed', note: messageOf(error) })
      if (error instanceof ReleaseError) throw error
      const remedy = error instanceof StepFailure && error.remedy ? error.remedy : step.remedy(ctx)
      throw new ReleaseError(step.name, messageOf(error), visibility(ctx), remedy)
    }
  }
}
