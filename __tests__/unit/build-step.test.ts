import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BuildSpec } from '../../src/build/buildx-args.js'
import type { Run } from '../../src/run/run.js'
import { planned } from '../support/artifacts.js'
import { StepFailure } from '../../src/model/errors.js'
import { formatPlatform } from '../../src/model/platform.js'
import type { BuildResult } from '../../src/ports/engine.js'
import { build } from '../../src/steps/build.js'
import { contextFor } from '../support/context.js'
import { FakeRegistry } from '../support/fakes.js'
import { driverAbilities } from '../../src/build/strategy.js'
import { FakeEngine } from '../support/fake-engine.js'

const IMAGE = 'r.example.test/acme/app'
const COMMIT_TIME = 1_700_000_000
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'buildx-0.13.1')
/** Real buildx output (see the fixtures' README). */
const recorded = (name: string): BuildResult => ({
  exitCode: 1,
  stderr: readFileSync(join(FIXTURES, `${name}.txt`), 'utf8'),
})
const SUCCESS: BuildResult = {
  exitCode: 0,
  stderr: [
    '#5 [linux/amd64 1/2] COPY bin/busybox-amd64 /bin/busybox',
    '#5 CACHED',
    '#6 [linux/arm64 1/2] COPY bin/busybox-arm64 /bin/busybox',
    '#6 DONE 0.1s',
    '',
  ].join('\n'),
}

/** A build with the given driver: a BuildKit builder (docker-container) pushes by digest itself. */
function world(
  platforms = 'linux/amd64,linux/arm64',
  mode: Run['mode'] = 'release',
  driver = 'docker-container',
  containerdStore = true,
) {
  const engine = new FakeEngine()
  const registry = new FakeRegistry()
  const ctx = contextFor(
    { image: IMAGE, 'github-token': 't', platforms },
    { engine, registry },
    { workDir: mkdtempSync(join(tmpdir(), 'build-step-')), mode },
  )
  const have = planned(
    ctx,
    {
      version: '1.0.0',
      channel: { kind: 'stable' },
      commit: ctx.trigger.commit,
      commitTime: COMMIT_TIME,
      gitTag: 'v1.0.0',
      tags: [],
    },
    { builder: { driver, abilities: driverAbilities(driver, containerdStore) } },
  )
  const pushes = () => engine.builds.filter((b) => b.plan.output.kind === 'push-by-digest')
  const diagnoses = () => engine.builds.filter((b) => b.plan.metadataFile.endsWith('.diagnose'))
  const lines = (ctx.log as unknown as { lines: string[] }).lines
  return { ctx, have, engine, registry, pushes, diagnoses, lines }
}

const failureOf = async ({ ctx, have }: ReturnType<typeof world>): Promise<StepFailure> => {
  const failure = await build.run(ctx, have).catch((e: unknown) => e)
  if (!(failure instanceof StepFailure)) throw new Error(`not a StepFailure: ${String(failure)}`)
  return failure
}

describe('the build step retries a push only when a retry can cure it', () => {
  test("a manifest refused with 400 (a concurrent push's blobs not yet committed) is pushed again", async () => {
    const w = world()
    const { ctx, engine, pushes, lines, have } = w
    engine.buildResults.push(recorded('push-race-400'), SUCCESS)
    await build.run(ctx, have)
    expect(pushes()).toHaveLength(2)
    expect(ctx.report.images[0]?.candidate).toEqual({
      ref: `${IMAGE}@${engine.buildDigest}`,
      digest: engine.buildDigest,
    })
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: pushing the candidate: attempt 1 failed \(ERROR: failed to solve: failed to push .*: 400 Bad Request\); retrying$/,
      ),
    )
    // What the cache gave is read from the push that succeeded.
    expect(ctx.report.images[0]?.cache).toEqual({ cached: 1, steps: 2 })
  })

  test('a 503 while pushing is pushed again', async () => {
    const w = world()
    const { ctx, engine, pushes, have } = w
    engine.buildResults.push(recorded('push-503'), SUCCESS)
    await build.run(ctx, have)
    expect(pushes()).toHaveLength(2)
    expect(ctx.report.images[0]?.candidate?.digest).toBe(engine.buildDigest)
  })

  test('every push is streamed to the log and stamped with the commit time', async () => {
    const w = world()
    const { ctx, engine, pushes, have } = w
    engine.buildResults.push(recorded('push-503'), SUCCESS)
    await build.run(ctx, have)
    expect(pushes().map((b) => b.options)).toEqual([
      { stream: true, sourceDateEpoch: COMMIT_TIME },
      { stream: true, sourceDateEpoch: COMMIT_TIME },
    ])
  })

  test('a push that keeps failing is tried five times in all, then fails the step', async () => {
    const w = world()
    const { engine, pushes } = w
    engine.buildResults.push(...Array.from({ length: 5 }, () => recorded('push-503')))
    const failure = await failureOf(w)
    expect(pushes()).toHaveLength(5)
    expect(failure.message).toMatch(/^the build failed: .*503 Service Unavailable$/s)
  })

  test('a failing build step is not retried', async () => {
    const w = world()
    const { engine, pushes } = w
    engine.buildResults.push(recorded('run-fails-arm64'))
    await failureOf(w)
    expect(pushes()).toHaveLength(1)
  })

  test('a 503 that is not part of a push (a base image lookup) is not retried', async () => {
    const w = world()
    const { engine, pushes } = w
    engine.buildResults.push({
      exitCode: 1,
      stderr:
        'ERROR: failed to solve: debian:bookworm: failed to resolve source metadata for docker.io/library/debian:bookworm: unexpected status from HEAD request to https://registry-1.docker.io/v2/library/debian/manifests/bookworm: 503 Service Unavailable\n',
    })
    await failureOf(w)
    expect(pushes()).toHaveLength(1)
  })
})

describe('the build failure names the platform that failed', () => {
  test("when buildx's log does not, each platform is built alone from the cache to find it", async () => {
    const w = world()
    const { ctx, engine, diagnoses } = w
    const fails = recorded('run-fails-arm64')
    const armFails = (plan: BuildSpec): BuildResult =>
      plan.platforms.map(formatPlatform).join() === 'linux/arm64' ? fails : SUCCESS
    engine.buildResults.push(fails, armFails, armFails)
    const failure = await failureOf(w)
    expect(failure.message).toBe(
      [
        'the build failed for linux/arm64: #8 ERROR: process "/bin/busybox sh -c test $(/bin/busybox uname -m) != aarch64" did not complete successfully: exit code: 1',
        'ERROR: failed to solve: process "/bin/busybox sh -c test $(/bin/busybox uname -m) != aarch64" did not complete successfully: exit code: 1',
      ].join('\n'),
    )
    const metadataFile = join(ctx.workDir, 'build-metadata-app.json')
    expect(diagnoses().map((b) => [b.plan.platforms.map(formatPlatform), b.plan.output])).toEqual([
      [['linux/amd64'], { kind: 'cache-only' }],
      [['linux/arm64'], { kind: 'cache-only' }],
    ])
    expect(diagnoses().map((b) => b.plan.metadataFile)).toEqual([
      `${metadataFile}.diagnose`,
      `${metadataFile}.diagnose`,
    ])
  })

  test('says no platform when every platform fails alone too', async () => {
    const w = world()
    const { engine, diagnoses } = w
    const fails = recorded('run-fails-arm64')
    engine.buildResults.push(fails, fails, fails)
    const failure = await failureOf(w)
    expect(diagnoses()).toHaveLength(2)
    expect(failure.message).toMatch(/^the build failed: #8 ERROR: process/)
  })

  test("takes the platform from buildx's log when it names one, without building again", async () => {
    const w = world()
    const { engine } = w
    engine.buildResults.push({
      exitCode: 1,
      stderr: [
        '#9 [linux/arm64 build 2/3] RUN make',
        '#9 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
        '------',
        ' > [linux/arm64 build 2/3] RUN make:',
        '------',
        'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
        '',
      ].join('\n'),
    })
    const failure = await failureOf(w)
    expect(failure.message).toMatch(/^the build failed for linux\/arm64: /)
    expect(engine.builds).toHaveLength(1)
  })

  test('a single platform is the one that failed', async () => {
    const w = world('linux/arm64')
    const { engine } = w
    engine.buildResults.push(recorded('run-fails-arm64'))
    const failure = await failureOf(w)
    expect(failure.message).toMatch(/^the build failed for linux\/arm64: /)
    expect(engine.builds).toHaveLength(1)
  })
})

test('a build-only run keeps the result in the build cache and pushes nothing', async () => {
  const w = world('linux/amd64,linux/arm64', 'build')
  const { ctx, engine, pushes, lines, have } = w
  await build.run(ctx, have)
  expect(engine.builds.map((b) => b.plan.output)).toEqual([{ kind: 'cache-only' }])
  expect(pushes()).toEqual([])
  expect(ctx.report.images[0]?.candidate).toBeUndefined()
  expect(lines).toContain('Built every platform; nothing was pushed (build-only run)')
})

test("a build-only run on the classic store's docker driver builds each platform alone, into the cache", async () => {
  const w = world('linux/amd64,linux/arm64', 'build', 'docker', false)
  const { ctx, engine, pushes, have } = w
  engine.buildResults.push(SUCCESS, SUCCESS)
  await build.run(ctx, have)
  expect(engine.builds.map((b) => [b.plan.platforms.map(formatPlatform), b.plan.output])).toEqual([
    [['linux/amd64'], { kind: 'cache-only' }],
    [['linux/arm64'], { kind: 'cache-only' }],
  ])
  expect(pushes()).toEqual([])
  // The cache use of both builds together (SUCCESS: one of two steps cached, each time).
  expect(ctx.report.images[0]?.cache).toEqual({ cached: 2, steps: 4 })
})

test("a failing platform of a build-only run on the classic store's docker driver is named, and no later platform is built", async () => {
  const w = world('linux/amd64,linux/arm64', 'build', 'docker', false)
  w.engine.buildResults.push({ exitCode: 1, stderr: 'ERROR: failed to solve: exit code: 1\n' })
  const failure = await failureOf(w)
  expect(failure.message).toMatch(/^the build failed for linux\/amd64: /)
  expect(w.engine.builds).toHaveLength(1)
})

describe('the candidate reaches the registry untagged on every driver', () => {
  test('a BuildKit builder pushes by digest itself', async () => {
    const { ctx, have, engine, registry } = world()
    const out = await build.run(ctx, have)
    expect(engine.builds.map((b) => b.plan.output)).toEqual([
      { kind: 'push-by-digest', image: IMAGE },
    ])
    expect(registry.layouts).toEqual([])
    expect(out).toMatchObject({ candidates: [{ digest: engine.buildDigest }] })
    expect(ctx.report.visible).toEqual([
      { kind: 'candidate', ref: `${IMAGE}@${engine.buildDigest}` },
    ])
  })

  test('the docker driver exports an OCI layout that the registry client pushes by digest', async () => {
    const { ctx, have, engine, registry } = world('linux/amd64,linux/arm64', 'release', 'docker')
    const out = await build.run(ctx, have)
    const [output] = engine.builds.map((b) => b.plan.output)
    expect(output).toEqual({ kind: 'oci-layout', dir: join(ctx.workDir, 'layout-app') })
    expect(registry.layouts).toEqual([`${IMAGE} ${join(ctx.workDir, 'layout-app')}`])
    expect(out).toMatchObject({ candidates: [{ digest: registry.layoutDigest }] })
    expect(ctx.report.visible).toEqual([
      { kind: 'candidate', ref: `${IMAGE}@${registry.layoutDigest}` },
    ])
  })

  test("the classic store's docker driver loads one platform, saves it and pushes it with its annotations", async () => {
    const { ctx, have, engine, registry } = world('linux/arm64', 'release', 'docker', false)
    const out = await build.run(ctx, have)
    const tag = 'multiarch-release-candidate:42-1-app'
    expect(engine.builds.map((b) => b.plan.output)).toEqual([{ kind: 'load', tag }])
    const layout = join(ctx.workDir, 'saved-app')
    expect(engine.calls.filter((c) => /^(saveImage|removeImage)/.test(c))).toEqual([
      `saveImage ${tag} ${layout}`,
      `removeImage ${tag}`,
    ])
    expect(registry.layouts).toEqual([`${IMAGE} ${layout}`])
    expect(out).toMatchObject({ candidates: [{ digest: registry.layoutDigest }] })
  })
})
