import { StepFailure } from '../model/errors.js'
import { formatPlatform } from '../model/platform.js'
import { smokePlatform, type PlatformSmokeResult } from '../smoke/platform-smoke.js'
import type { Step } from './step.js'

function describeFailure(result: PlatformSmokeResult): string {
  const failed = result.checks.find((c) => !c.ok)
  return `${result.platform}: ${failed ? `${failed.name}: ${failed.detail}` : 'failed'}`
}

export const smoke: Step = {
  name: 'smoke',
  why: 'run every platform from the registry, by digest, before anything is final: a crashing arm64 never becomes latest',
  skip: (ctx) =>
    ctx.mode === 'build'
      ? 'build-only run: nothing was pushed'
      : ctx.reused
        ? `the digest was reused from the ${ctx.reused}: it passed every check before`
        : undefined,
  async run(ctx) {
    const { inputs, ports, candidate } = ctx
    if (!candidate) throw new Error('the build must push a candidate before the smoke tests')
    // Platforms run in parallel: the slowest (emulated) one sets the pace, not their sum.
    const results = await ctx.log.group(
      `Smoke tests on ${inputs.platforms.length} platform(s)`,
      () =>
        Promise.all(
          inputs.platforms.map(async (platform) => {
            const name = formatPlatform(platform)
            const manifestDigest = ctx.platforms.get(name)?.manifestDigest
            if (manifestDigest === undefined)
              throw new Error(`no manifest digest recorded for ${name}`)
            const config = await ports.registry.imageConfig(
              `${inputs.image.name}@${manifestDigest}`,
            )
            const result = await smokePlatform(ports.engine, {
              image: inputs.image.name,
              platform,
              manifestDigest,
              config,
              smoke: inputs.smoke,
              runId: `${ctx.env.runId}-${ctx.env.runAttempt}`,
            })
            for (const check of result.checks) {
              ctx.log.info(
                `${name}: ${check.name}: ${check.ok ? 'ok' : 'FAILED'} (${check.detail}) in ${(check.ms / 1000).toFixed(1)} s`,
              )
            }
            const entry = ctx.platforms.get(name) ?? { platform: name }
            entry.smoke = {
              ok: result.ok,
              detail: result.ok
                ? result.checks.map((c) => c.name).join(', ')
                : describeFailure(result),
              ms: result.ms,
            }
            ctx.platforms.set(name, entry)
            return result
          }),
        ),
    )
    const failed = results.filter((r) => !r.ok)
    if (failed.length > 0) {
      throw new StepFailure(`smoke test failed on ${failed.map(describeFailure).join('; ')}`)
    }
  },
  remedy: () =>
    'fix the image for the platform named above and re-run the workflow; only the unannounced candidate was pushed, no final tag, no Release',
}
