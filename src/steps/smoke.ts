import { join } from 'node:path'
import { imageLabel, type ImageRun, type RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { formatPlatform, type Platform } from '../model/platform.js'
import { buildPlanFor } from './build.js'
import { settleBounded } from '../parallel.js'
import { tail } from '../ports/process.js'
import { smokePlatform, type PlatformSmokeResult } from '../smoke/platform-smoke.js'
import type { Step } from './step.js'
import { LOADED_SMOKE_IMAGE } from '../model/container-owner.js'
import { progress } from '../report/progress.js'

/** Smoke containers at once: enough that emulated platforms overlap, few enough for a runner. */
const PARALLEL_SMOKE = 4

interface Outcome {
  readonly run: ImageRun
  readonly result: PlatformSmokeResult
}

function describeFailure(ctx: RunContext, { run, result }: Outcome): string {
  const failed = result.checks.find((c) => !c.ok)
  return `${imageLabel(ctx, run, result.platform)}: ${failed ? `${failed.name}: ${failed.detail}` : 'failed'}`
}

function record(ctx: RunContext, outcome: Outcome, step: ReturnType<typeof progress>): void {
  const { run, result } = outcome
  const label = imageLabel(ctx, run, result.platform)
  for (const check of result.checks) {
    ctx.log.info(
      `${label}: ${check.name}: ${check.ok ? 'ok' : 'FAILED'} (${check.detail}) in ${(check.ms / 1000).toFixed(1)} s`,
    )
  }
  ctx.log.info(
    step(label, result.ok ? 'passed' : 'failed', result.ms, result.checks.find((c) => !c.ok)?.name),
  )
  const entry = run.platforms.get(result.platform) ?? { platform: result.platform }
  entry.smoke = {
    ok: result.ok,
    detail: result.ok ? result.checks.map((c) => c.name).join(', ') : describeFailure(ctx, outcome),
    ms: result.ms,
    checks: result.checks,
  }
  run.platforms.set(result.platform, entry)
}

/** A release: every platform pulled from the registry by its own digest. */
async function smokeFromRegistry(
  ctx: RunContext,
  run: ImageRun,
  platform: Platform,
): Promise<PlatformSmokeResult> {
  const { ports } = ctx
  const { image, smoke } = run.build
  const name = formatPlatform(platform)
  const manifestDigest = run.platforms.get(name)?.manifestDigest
  if (manifestDigest === undefined) throw new Error(`no manifest digest recorded for ${name}`)
  return smokePlatform(ports.engine, {
    image: image.name,
    platform,
    source: { kind: 'registry', manifestDigest },
    config:
      run.platforms.get(name)?.config ??
      (await ports.registry.imageConfig(`${image.name}@${manifestDigest}`)),
    smoke,
    runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
    readHead: async (path) => ports.registry.fileHead?.(`${image.name}@${manifestDigest}`, path),
  })
}

/** A build-only run: each platform loaded into the engine in turn (from the warm cache), then removed. */
async function smokeLoaded(
  ctx: RunContext,
  run: ImageRun,
  platform: Platform,
): Promise<PlatformSmokeResult> {
  const { ports } = ctx
  const name = formatPlatform(platform)
  const slug = `${run.build.name}-${name.replace(/\//g, '-')}`
  const tag = `${LOADED_SMOKE_IMAGE}:${ctx.env.runId}-${ctx.env.runAttempt}-${slug}`
  const plan = buildPlanFor(
    ctx,
    run,
    { kind: 'load', tag },
    join(ctx.workDir, `smoke-${slug}.json`),
  )
  const loaded = await ports.engine.build(
    { ...plan, platforms: [platform] },
    { sourceDateEpoch: ctx.plan?.commitTime ?? 0 },
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
      smoke: run.build.smoke,
      runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
    })
  } finally {
    await ports.engine.removeImage(tag)
  }
}

const hasSmokeTests = (run: ImageRun): boolean =>
  run.build.smoke.run.length > 0 || run.build.smoke.http !== undefined

export const smoke: Step = {
  name: 'smoke',
  why: 'run every platform of every image before anything is final: a crashing arm64 never becomes latest',
  skip: (ctx) =>
    ctx.inputs.platformDigests.length > 0
      ? 'each platform was smoke-tested natively by its build-platform job'
      : (ctx.mode === 'build' || ctx.mode === 'rollback') && !ctx.images.some(hasSmokeTests)
        ? 'no smoke-run or smoke-http for this run'
        : ctx.images.every((run) => run.reused)
          ? `the digest was reused from the ${ctx.images[0]?.reused ?? ''}: it passed every check before`
          : undefined,
  async run(ctx) {
    // Pushed images (a release, a build-platform run) are tested from the registry.
    const release = ctx.mode !== 'build'
    const pairs = ctx.images
      .filter((run) => (release ? !run.reused : hasSmokeTests(run)))
      .flatMap((run) => run.build.platforms.map((platform) => ({ run, platform })))
    // In a release, platforms run in parallel (the slowest, emulated one sets the pace); a
    // build-only run loads each platform into the engine in turn.
    const step = progress('smoke', pairs.length)
    const settled = await ctx.log.group(`Smoke tests on ${pairs.length} image platform(s)`, () =>
      settleBounded(pairs, release ? PARALLEL_SMOKE : 1, async ({ run, platform }) => {
        const result = await (release
          ? smokeFromRegistry(ctx, run, platform)
          : smokeLoaded(ctx, run, platform))
        const outcome = { run, result }
        record(ctx, outcome, step)
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
  },
  remedy: (ctx) =>
    ctx.mode === 'build'
      ? 'fix the image for the platform named above; nothing was pushed'
      : 'fix the image for the platform named above and re-run the workflow; only unannounced candidates were pushed, no final tag, no Release',
}
