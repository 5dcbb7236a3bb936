import type { Run } from '../../src/run/run.js'
import type { Artifacts } from '../../src/run/artifacts.js'
import { planned } from '../support/artifacts.js'
import { StepFailure } from '../../src/model/errors.js'
import { formatPlatform } from '../../src/model/platform.js'
import { smoke } from '../../src/steps/smoke.js'
import { contextFor } from '../support/context.js'
import { EMPTY_CONFIG, FakeEngine } from '../support/fake-engine.js'
import { FakeRegistry } from '../support/fakes.js'

const IMAGE = 'r.example.test/acme/app'
const SIX = 'linux/amd64,linux/arm64,linux/386,linux/ppc64le,linux/s390x,linux/riscv64'
const COMMIT_TIME = 1_700_000_000
const digestOf = (platform: string): string =>
  `sha256:${platform.replace(/\W/g, '').padEnd(64, '0')}`

/** A release whose candidate's platforms were read by the manifest assertion. */
function world(values: Record<string, string>, mode: Run['mode'] = 'release') {
  const engine = new FakeEngine()
  const ctx = contextFor(
    { image: IMAGE, 'smoke-run': 'true', ...values },
    { engine, registry: new FakeRegistry() },
    { mode },
  )
  const base = planned(ctx, {
    version: '1.0.0',
    channel: { kind: 'stable' },
    commit: ctx.trigger.commit,
    commitTime: COMMIT_TIME,
    gitTag: 'v1.0.0',
    tags: [],
  })
  // What the manifest assertion hands on: each platform's own manifest digest and config.
  const checked: Artifacts['checked'] =
    mode === 'build'
      ? []
      : base.images.map((image) => ({
          candidate: {
            image,
            ref: `${IMAGE}@sha256:index`,
            digest: 'sha256:index',
            pushedTags: [],
          },
          platforms: image.build.platforms.map((platform) => ({
            name: formatPlatform(platform),
            platform,
            manifestDigest: digestOf(formatPlatform(platform)),
            config: EMPTY_CONFIG,
          })),
        }))
  const have = { ...base, checked }
  return { ctx, engine, have }
}

describe('the smoke step in a release', () => {
  test('tests at most four platforms at once, each pulled by the digest of its own manifest', async () => {
    const { ctx, engine, have } = world({ platforms: SIX })
    await smoke.run(ctx, have)
    expect(engine.maxConcurrentPulls).toBe(4)
    expect(engine.calls.filter((c) => c.startsWith('pull ')).sort()).toEqual(
      SIX.split(',')
        .map((p) => `pull ${IMAGE}@${digestOf(p)} ${p}`)
        .sort(),
    )
    const [run] = ctx.report.images
    expect([...(run?.platforms.values() ?? [])].map((p) => [p.platform, p.smoke?.ok])).toEqual(
      SIX.split(',').map((p) => [p, true]),
    )
  })

  test('fails naming every failing platform with its first failed check; the others are recorded as passed', async () => {
    const { ctx, engine, have } = world({ platforms: SIX })
    engine.command = (_words, spec) =>
      ['arm64', 's390x'].includes(spec.platform.architecture)
        ? { exitCode: 1, stderr: 'exec /bin/true: exec format error\n' }
        : { exitCode: 0 }
    const failure = await smoke.run(ctx, have).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toBe(
      'smoke test failed on linux/arm64: run true: exit 1: exec /bin/true: exec format error; linux/s390x: run true: exit 1: exec /bin/true: exec format error',
    )
    const [run] = ctx.report.images
    expect(run?.platforms.get('linux/amd64')?.smoke).toMatchObject({
      ok: true,
      detail: 'pull, architecture, run true',
    })
    expect(run?.platforms.get('linux/arm64')?.smoke?.ok).toBe(false)
    expect(smoke.remedy(ctx)).toMatch(/no final tag, no Release$/)
  })

  test('each check is logged with its outcome', async () => {
    const { ctx, have } = world({ platforms: 'linux/arm64' })
    await smoke.run(ctx, have)
    const lines = (ctx.log as unknown as { lines: string[] }).lines
    expect(lines).toContain('group: Smoke tests on 1 image platform(s)')
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^linux\/arm64: run true: ok \(exit 0\) in /)]),
    )
  })
})

describe('the smoke step in a build-only run', () => {
  test('loads each platform in turn from the build cache, tests it, and removes it', async () => {
    const { ctx, engine, have } = world({ platforms: 'linux/amd64,linux/arm64' }, 'build')
    await smoke.run(ctx, have)
    const tag = (p: string): string => `multiarch-release-smoke:42-1-app-${p}`
    expect(
      engine.calls.filter((c) => !c.startsWith('run ') && !c.startsWith('readImageFile')),
    ).toEqual([
      'build linux/amd64 load',
      `localImageConfig ${tag('linux-amd64')}`,
      `removeImage ${tag('linux-amd64')}`,
      'build linux/arm64 load',
      `localImageConfig ${tag('linux-arm64')}`,
      `removeImage ${tag('linux-arm64')}`,
    ])
    expect(engine.builds.map((b) => [b.plan.output, b.options])).toEqual([
      [{ kind: 'load', tag: tag('linux-amd64') }, { sourceDateEpoch: COMMIT_TIME }],
      [{ kind: 'load', tag: tag('linux-arm64') }, { sourceDateEpoch: COMMIT_TIME }],
    ])
    expect(engine.calls.some((c) => c.startsWith('pull '))).toBe(false)
  })

  test('a platform that cannot be loaded fails with the end of the build log; the next is still tested', async () => {
    const { ctx, engine, have } = world({ platforms: 'linux/amd64,linux/arm64' }, 'build')
    engine.buildResults.push({
      exitCode: 1,
      stderr:
        '#5 [linux/amd64 1/2] COPY app /app\n#5 ERROR: failed to compute cache key\nERROR: failed to solve: "/app": not found\n',
    })
    const failure = await smoke.run(ctx, have).catch((e: unknown) => e)
    expect((failure as StepFailure).message).toBe(
      'smoke test failed on linux/amd64: load: #5 [linux/amd64 1/2] COPY app /app\n#5 ERROR: failed to compute cache key\nERROR: failed to solve: "/app": not found',
    )
    expect(ctx.report.images[0]?.platforms.get('linux/arm64')?.smoke?.ok).toBe(true)
    expect(engine.removedImages).toEqual(['multiarch-release-smoke:42-1-app-linux-arm64'])
  })

  test('is skipped when there is nothing to run', () => {
    const { ctx, have } = world({ platforms: 'linux/amd64', 'smoke-run': '' }, 'build')
    expect(smoke.skip?.(ctx, have)).toBe('no smoke-run or smoke-http for this run')
  })
})
