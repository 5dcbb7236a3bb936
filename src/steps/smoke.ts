import { join } from 'node:path'
import type { Run } from '../run/run.js'
import type { CheckedImage, PlannedImage, PlatformManifest, ReleasePlan } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import { StepFailure } from '../model/errors.js'
import type { ImageBuild } from '../model/inputs.js'
import { formatPlatform, type Platform } from '../model/platform.js'
import { buildSpecFor } from './build.js'
import { settleBounded } from '../model/parallel.js'
import { tail } from '../ports/process.js'
import { smokePlatform, type PlatformSmokeResult } from '../smoke/platform-smoke.js'
import { defineStep, imageLabel } from './step.js'
import { LOADED_SMOKE_IMAGE } from '../model/container-owner.js'
import { progress } from '../model/progress.js'

/** Smoke containers at once: enough that emulated platforms overlap, few enough for a runner. */
const PARALLEL_SMOKE = 4

interface Outcome {
  readonly build: ImageBuild
  readonly result: PlatformSmokeResult
}

function describeFailure(ctx: Run, { build, result }: Outcome): string {
  const failed = result.checks.find((c) => !c.ok)
  return `${imageLabel(ctx, build, result.platform)}: ${failed ? `${failed.name}: ${failed.detail}` : 'failed'}`
}

function recordOutcome(ctx: Run, outcome: Outcome, step: ReturnType<typeof progress>): void {
  const { build, result } = outcome
  const label = imageLabel(ctx, build, result.platform)
  for (const check of result.checks) {
    ctx.log.info(
      `${label}: ${check.name}: ${check.ok ? 'ok' : 'FAILED'} (${check.detail}) in ${(check.ms / 1000).toFixed(1)} s`,
    )
  }
  ctx.log.info(
    step(label, result.ok ? 'passed' : 'failed', result.ms, result.checks.find((c) => !c.ok)?.name),
  )
  const platforms = imageReport(ctx.report, build.name).platforms
  platforms.set(result.platform, {
    ...(platforms.get(result.platform) ?? { platform: result.platform }),
    smoke: {
      ok: result.ok,
      detail: result.ok
        ? result.checks.map((c) => c.name).join(', ')
        : describeFailure(ctx, outcome),
      ms: result.ms,
      checks: result.checks,
    },
  })
}

/** A pushed image: every platform pulled from the registry by its own digest. */
async function smokeFromRegistry(
  ctx: Run,
  build: ImageBuild,
  manifest: PlatformManifest,
): Promise<PlatformSmokeResult> {
  const { ports } = ctx
  const { image, smoke } = build
  const ref = `${image.name}@${manifest.manifestDigest}`
  return smokePlatform(ports.engine, {
    image: image.name,
    platform: manifest.platform,
    source: { kind: 'registry', manifestDigest: manifest.manifestDigest },
    config: manifest.config ?? (await ports.registry.imageConfig(ref)),
    smoke,
    runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
    readHead: async (path) => ports.registry.fileHead?.(ref, path),
  })
}

/** A build-only run: each platform loaded into the engine in turn (from the warm cache), then removed. */
async function smokeLoaded(
  ctx: Run,
  plan: ReleasePlan,
  image: PlannedImage,
  platform: Platform,
): Promise<PlatformSmokeResult> {
  const { ports } = ctx
  const name = formatPlatform(platform)
  const slug = `${image.build.name}-${name.replace(/\//g, '-')}`
  const tag = `${LOADED_SMOKE_IMAGE}:${ctx.env.runId}-${ctx.env.runAttempt}-${slug}`
  const spec = buildSpecFor(
    ctx,
    plan,
    image,
    { kind: 'load', tag },
    join(ctx.workDir, `smoke-${slug}.json`),
  )
  const loaded = await ports.engine.build(
    { ...spec, platforms: [platform] },
    { sourceDateEpoch: plan.commitTime },
  )
  if (loaded.exitCode !== 0) {
    return {
      platform: name,
      ok: false,
      checks: [{ name: 'load', ok: false, detail: tail(loaded.stderr, 4), ms: 0 }],
      ms: 0,
    }
  }
  try {
    return await smokePlatform(ports.engine, {
      image: tag,
      platform,
      source: { kind: 'local', tag },
      config: await ports.engine.localImageConfig(tag),
      smoke: image.build.smoke,
      runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
    })
  } finally {
    await ports.engine.removeImage(tag)
  }
}

const hasSmokeTests = (build: ImageBuild): boolean =>
  build.smoke.run.length > 0 || build.smoke.http !== undefined

/** One smoke test of one platform of one image, not yet run. */
interface Trial {
  readonly build: ImageBuild
  readonly test: () => Promise<PlatformSmokeResult>
}

/**
 * Runs the trials: from the registry in parallel (the slowest, emulated platform sets the pace);
 * loaded into the engine one after the other in a build-only run.
 */
async function runTrials(ctx: Run, trials: readonly Trial[], parallel: number): Promise<void> {
  const step = progress('smoke', trials.length)
  const settled = await ctx.log.group(`Smoke tests on ${trials.length} image platform(s)`, () =>
    settleBounded(trials, parallel, async ({ build, test }) => {
      const outcome = { build, result: await test() }
      recordOutcome(ctx, outcome, step)
      return outcome
    }),
  )
  const broken = settled.find((s) => s.status === 'rejected')
  if (broken?.status === 'rejected') throw broken.reason
  const failed = settled.flatMap((s) =>
    s.status === 'fulfilled' && !s.value.result.ok ? [s.value] : [],
  )
  if (failed.length > 0) {
    throw new StepFailure(
      `smoke test failed on ${failed.map((f) => describeFailure(ctx, f)).join('; ')}`,
    )
  }
}

/** Every platform of every image that was checked from the registry. */
const fromRegistry = (ctx: Run, checked: readonly CheckedImage[]): Trial[] =>
  checked.flatMap(({ candidate, platforms }) =>
    platforms.map((manifest) => ({
      build: candidate.image.build,
      test: () => smokeFromRegistry(ctx, candidate.image.build, manifest),
    })),
  )

const WHY =
  'run every platform of every image before anything is final: a crashing arm64 never becomes latest'

const REMEDY = (ctx: Run): string =>
  ctx.mode === 'build'
    ? 'fix the image for the platform named above; nothing was pushed'
    : 'fix the image for the platform named above and re-run the workflow; only unannounced candidates were pushed, no final tag, no Release'

export const smoke = defineStep({
  name: 'smoke',
  why: WHY,
  needs: ['plan', 'images', 'checked'],
  gives: [],
  skip: (ctx, { images }) =>
    ctx.inputs.platformDigests.length > 0
      ? 'each platform was smoke-tested natively by its build-platform job'
      : ctx.mode === 'build' && !ctx.inputs.components.some(hasSmokeTests)
        ? 'no smoke-run or smoke-http for this run'
        : images && images.length > 0 && images.every((image) => image.reuse)
          ? `the digest was reused from the ${images[0]?.reuse?.from ?? ''}: it passed every check before`
          : undefined,
  async run(ctx, { plan, images, checked }) {
    // Pushed images (a release, a build-platform run) are tested from the registry.
    if (ctx.mode !== 'build') {
      const fresh = checked.filter(({ candidate }) => !candidate.image.reuse)
      await runTrials(ctx, fromRegistry(ctx, fresh), PARALLEL_SMOKE)
      return {}
    }
    const trials = images
      .filter((image) => hasSmokeTests(image.build))
      .flatMap((image) =>
        image.build.platforms.map((platform) => ({
          build: image.build,
          test: () => smokeLoaded(ctx, plan, image, platform),
        })),
      )
    await runTrials(ctx, trials, 1)
    return {}
  },
  remedy: REMEDY,
})

/** A rollback tests the released images again, when smoke tests are given. */
export const smokeReleased = defineStep({
  name: 'smoke',
  why: WHY,
  needs: ['checked'],
  gives: [],
  skip: (ctx) =>
    ctx.inputs.components.some(hasSmokeTests)
      ? undefined
      : 'no smoke-run or smoke-http for this run',
  async run(ctx, { checked }) {
    await runTrials(ctx, fromRegistry(ctx, checked), PARALLEL_SMOKE)
    return {}
  },
  remedy: REMEDY,
})
