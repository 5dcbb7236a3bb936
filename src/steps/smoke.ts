import { join } from 'node:path'
import type { RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { formatPlatform, type Platform } from '../model/platform.js'
import { buildPlanFor } from './build.js'
import { buildxBuildArgs } from '../build/buildx-args.js'
import { tail } from '../ports/process.js'
import { smokePlatform, type PlatformSmokeResult } from '../smoke/platform-smoke.js'
import type { Step } from './step.js'

function describeFailure(result: PlatformSmokeResult): string {
  const failed = result.checks.find((c) => !c.ok)
  return `${result.platform}: ${failed ? `${failed.name}: ${failed.detail}` : 'failed'}`
}

function record(ctx: RunContext, result: PlatformSmokeResult): void {
  for (const check of result.checks) {
    ctx.log.info(
      `${result.platform}: ${check.name}: ${check.ok ? 'ok' : 'FAILED'} (${check.detail}) in ${(check.ms / 1000).toFixed(1)} s`,
    )
  }
  const entry = ctx.platforms.get(result.platform) ?? { platform: result.platform }
  entry.smoke = {
    ok: result.ok,
    detail: result.ok ? result.checks.map((c) => c.name).join(', ') : describeFailure(result),
    ms: result.ms,
  }
  ctx.platforms.set(result.platform, entry)
}

/** A release: every platform pulled from the registry by its own digest, all in parallel. */
async function smokeFromRegistry(
  ctx: RunContext,
  platform: Platform,
): Promise<PlatformSmokeResult> {
  const { inputs, ports } = ctx
  const name = formatPlatform(platform)
  const manifestDigest = ctx.platforms.get(name)?.manifestDigest
  if (manifestDigest === undefined) throw new Error(`no manifest digest recorded for ${name}`)
  return smokePlatform(ports.engine, {
    image: inputs.image.name,
    platform,
    source: { kind: 'registry', manifestDigest },
    config: await ports.registry.imageConfig(`${inputs.image.name}@${manifestDigest}`),
    smoke: inputs.smoke,
    runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
  })
}

/** A build-only run: each platform loaded into the engine in turn (from the warm cache), then removed. */
async function smokeLoaded(ctx: RunContext, platform: Platform): Promise<PlatformSmokeResult> {
  const { inputs, ports } = ctx
  const name = formatPlatform(platform)
  const tag = `multiarch-release-smoke:${ctx.env.runId}-${ctx.env.runAttempt}-${name.replace(/\//g, '-')}`
  const plan = buildPlanFor(
    ctx,
    { kind: 'load', tag },
    join(ctx.workDir, `smoke-${name.replace(/\//g, '-')}.json`),
  )
  const loaded = await ports.engine.docker(buildxBuildArgs({ ...plan, platforms: [platform] }), {
    env: { SOURCE_DATE_EPOCH: String(ctx.plan?.commitTime ?? 0) },
  })
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
      smoke: inputs.smoke,
      runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
    })
  } finally {
    await ports.engine.docker(['image', 'rm', '--force', tag])
  }
}

const hasSmokeTests = (ctx: RunContext): boolean =>
  ctx.inputs.smoke.run.length > 0 || ctx.inputs.smoke.http !== undefined

export const smoke: Step = {
  name: 'smoke',
  why: 'run every platform before anything is final: a crashing arm64 never becomes latest',
  skip: (ctx) =>
    ctx.mode === 'build' && !hasSmokeTests(ctx)
      ? 'build-only run without smoke-run or smoke-http'
      : ctx.reused
        ? `the digest was reused from the ${ctx.reused}: it passed every check before`
        : undefined,
  async run(ctx) {
    const { inputs } = ctx
    const results = await ctx.log.group(
      `Smoke tests on ${inputs.platforms.length} platform(s)`,
      async () => {
        if (ctx.mode === 'release') {
          // Platforms run in parallel: the slowest (emulated) one sets the pace, not their sum.
          return Promise.all(
            inputs.platforms.map(async (platform) => {
              const result = await smokeFromRegistry(ctx, platform)
              record(ctx, result)
              return result
            }),
          )
        }
        const loaded: PlatformSmokeResult[] = []
        for (const platform of inputs.platforms) {
          const result = await smokeLoaded(ctx, platform)
          record(ctx, result)
          loaded.push(result)
        }
        return loaded
      },
    )
    const failed = results.filter((r) => !r.ok)
    if (failed.length > 0) {
      throw new StepFailure(`smoke test failed on ${failed.map(describeFailure).join('; ')}`)
    }
  },
  remedy: (ctx) =>
    ctx.mode === 'build'
      ? 'fix the image for the platform named above; nothing was pushed'
      : 'fix the image for the platform named above and re-run the workflow; only the unannounced candidate was pushed, no final tag, no Release',
}
