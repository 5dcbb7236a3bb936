import type { Run } from '../../src/run/run.js'
import { StepFailure } from '../../src/model/errors.js'
import { PIPELINE } from '../../src/pipeline.js'
import { previewOfTrigger, previewRelease } from '../../src/plan/preview.js'
import { PlanWriteAttempt, readOnlyPorts } from '../../src/plan/read-only-ports.js'
import { planFailure, planTitle, renderPlanMarkdown } from '../../src/plan/render.js'
import type { ContainerEngine } from '../../src/ports/engine.js'
import type { GitRepository } from '../../src/ports/git.js'
import semver from 'semver'
import type { FinalTag } from '../../src/model/tags.js'
import { promotionOf, type Promotion, type TagState } from '../../src/steps/promote.js'
import { contextFor, testEnvironment } from '../support/context.js'
import { FakeGitHub, FakeRegistry } from '../support/fakes.js'
import { FakeEngine } from '../support/fake-engine.js'

const IMAGE = 'r.example.test/acme/app'
const COMMIT = testEnvironment.sha
const OTHER = 'f'.repeat(40)
const ARM64 = { os: 'linux', architecture: 'arm64' }
const REVISION = 'org.opencontainers.image.revision'
const VERSION = 'org.opencontainers.image.version'

/** A fake engine with the info given; `calls` records every other call. */
function fakeEngine(info: () => Promise<Awaited<ReturnType<ContainerEngine['info']>>>) {
  const engine = new FakeEngine()
  engine.info = info
  return { engine, calls: engine.calls }
}

const workingEngine = () =>
  fakeEngine(() =>
    Promise.resolve({
      serverVersion: '27.0.0',
      buildxVersion: '0.17.0',
      builder: {
        name: 'b',
        driver: 'docker-container',
        platforms: ['linux/amd64', 'linux/arm64'],
        nodes: 1,
      },
      containerdStore: true,
    }),
  )

const git: GitRepository = {
  head: () => Promise.resolve(COMMIT),
  commitTime: () => Promise.resolve(1_700_000_000),
}

function world(values: Record<string, string> = {}, overrides: Partial<Run> = {}) {
  const registry = new FakeRegistry()
  const github = new FakeGitHub()
  const { engine, calls } = workingEngine()
  const ctx = contextFor(
    { image: IMAGE, 'github-token': 'ghs_test', mode: 'plan', ...values },
    { registry, github, engine, git },
    overrides,
  )
  return { ctx, registry, github, engineCalls: calls }
}

const outcomes = (steps: readonly { name: string; outcome: string }[]) =>
  Object.fromEntries(steps.map((s) => [s.name, s.outcome]))

describe('the plan changes nothing', () => {
  test('the read-only ports pass reads through and refuse every write before it reaches the port', async () => {
    const { ctx, registry, github, engineCalls } = world()
    const ports = readOnlyPorts(ctx.ports)
    registry.tags.set(`${IMAGE}:1.0.0`, 'sha256:aaaa')
    expect((await ports.registry.manifest(`${IMAGE}:1.0.0`))?.digest).toBe('sha256:aaaa')
    await expect(ports.registry.copy(`${IMAGE}@sha256:aaaa`, `${IMAGE}:latest`)).rejects.toThrow(
      new PlanWriteAttempt(`write the tag ${IMAGE}:latest`),
    )
    const [build] = ctx.inputs.components
    if (!build) throw new Error('no image')
    await expect(ports.registry.pushLayout(build.image, '/tmp/layout')).rejects.toThrow(
      PlanWriteAttempt,
    )
    await expect(ports.registry.assemble(build.image, ['sha256:1'], {})).rejects.toThrow(
      PlanWriteAttempt,
    )
    await expect(
      ports.github.createDraft({
        tag: 'v1',
        commit: COMMIT,
        name: 'v1',
        body: '',
        prerelease: false,
      }),
    ).rejects.toThrow(PlanWriteAttempt)
    await expect(ports.github.publish(1, { prerelease: false, makeLatest: true })).rejects.toThrow(
      PlanWriteAttempt,
    )
    await expect(ports.engine.login('r.example.test', 'u', 'p')).rejects.toThrow(
      'a plan changes nothing, yet it was about to log in to r.example.test',
    )
    expect(registry.copies).toEqual([])
    expect(registry.tags.get(`${IMAGE}:latest`)).toBeUndefined()
    expect(github.releases).toEqual([])
    expect(github.calls).toEqual([])
    expect(engineCalls).toEqual([])
  })

  test('the read-only engine answers reads and refuses every action, naming it', async () => {
    const { ctx, engineCalls } = world()
    const engine = readOnlyPorts(ctx.ports).engine
    const spec = { ref: `${IMAGE}@sha256:aaaa`, platform: ARM64, name: 'mar-1', env: [] }
    const refusals: [Promise<unknown>, string][] = [
      [engine.pull(spec.ref, ARM64), `pull ${spec.ref}`],
      [engine.run(spec, ['true']), `run a container of ${spec.ref}`],
      [engine.startDetached(spec, 8080), `start a container of ${spec.ref}`],
      [engine.remove('mar-1'), 'remove the container mar-1'],
      [engine.removeImage('t:1'), 'remove the image t:1'],
      [engine.logout('r.example.test'), 'log out of r.example.test'],
      [engine.readImageFile(spec.ref, 'linux/arm64', '/app'), `create a container of ${spec.ref}`],
      [
        engine.build({
          platforms: [ARM64],
          context: '.',
          file: 'Dockerfile',
          target: undefined,
          buildArgs: [],
          labels: {},
          annotations: {},
          output: { kind: 'cache-only' },
          metadataFile: 'm.json',
        }),
        'build 1 platform(s) of .',
      ],
    ]
    for (const [attempt, what] of refusals) {
      await expect(attempt).rejects.toThrow(new PlanWriteAttempt(what))
    }
    expect(engineCalls).toEqual([])
    await engine.state('mar-1')
    await engine.logs('mar-1', 20)
    await engine.publishedPort('mar-1', 8080)
    await engine.localImageConfig('t:1')
    expect(engineCalls).toEqual([
      'state mar-1',
      'logs mar-1 20',
      'port mar-1 8080',
      'localImageConfig t:1',
    ])
  })

  test('a fresh release: every step but sign runs, and the fakes saw only reads', async () => {
    const { ctx, registry, github, engineCalls } = world({
      'registry-username': 'u',
      'registry-password': 'p',
    })
    const preview = await previewRelease(ctx, PIPELINE)
    expect(preview).toMatchObject({
      kind: 'release',
      version: '0.1.0',
      gitTag: 'v0.1.0',
      failures: [],
    })
    expect(outcomes(preview.steps)).toMatchObject({
      build: 'runs',
      sign: 'skipped',
      publish: 'runs',
    })
    // registry-username is never used to log in by a plan; the plan says so.
    expect(engineCalls).toEqual([])
    expect(preview.notes).toContain(
      'registry-username is set, but a plan never logs in: its registry reads use the Docker credentials already there',
    )
    expect(registry.copies).toEqual([])
    // Reads only: the draft, the promotion and the publication each look at the Releases.
    expect(new Set(github.calls)).toEqual(new Set(['listReleases']))
    // A docker-container builder pushes by digest: an untagged manifest, no tag.
    expect(preview.steps.find((s) => s.name === 'build')?.reveals).toEqual([
      { kind: 'untagged manifest', ref: IMAGE, announced: false, note: 'pushed by digest, no tag' },
    ])
    expect(planFailure(preview)).toBeUndefined()
  })
})

describe('why steps would be skipped, fail or not be reached', () => {
  test('a version taken by another commit: the plan step fails with its remedy, later steps are not reached', async () => {
    const { ctx, github } = world({ version: '1.0.0' })
    github.gitTags.set('v1.0.0', OTHER)
    const preview = await previewRelease(ctx, PIPELINE)
    expect(preview.failures.map((f) => f.step)).toEqual(['plan'])
    expect(preview.failures[0]?.cause).toMatch(
      /^the git tag v1\.0\.0 already points at commit ffffffffffff/,
    )
    expect(preview.failures[0]?.remedy).toMatch(/^release a new version/)
    expect(preview.steps.slice(2).map((s) => [s.outcome, s.reason])).toEqual(
      PIPELINE.slice(2).map(() => ['not reached', 'the run stops at plan']),
    )
    expect(planFailure(preview)).toMatch(/^The run would stop at plan: the git tag v1\.0\.0/)
    expect(planFailure(preview)).toMatch(/\nRemedy: release a new version/)
  })

  test('a preflight failure stops the run there; the plan still reads the version', async () => {
    const { ctx } = world()
    const { engine } = fakeEngine(() =>
      Promise.reject(
        new StepFailure('docker buildx is not available: x', 'install the buildx plugin'),
      ),
    )
    const preview = await previewRelease({ ...ctx, ports: { ...ctx.ports, engine } }, PIPELINE)
    expect(preview.failures).toEqual([
      {
        step: 'preflight',
        cause: 'docker buildx is not available: x',
        remedy: 'install the buildx plugin',
      },
    ])
    expect(preview.version).toBe('0.1.0')
    expect(preview.steps.map((s) => [s.name, s.outcome, s.reason])).toEqual([
      ['preflight', 'fails', 'docker buildx is not available: x'],
      ['plan', 'not reached', 'the run stops at preflight; read anyway for this plan'],
      ...PIPELINE.slice(2).map((s) => [s.name, 'not reached', 'the run stops at preflight']),
    ])
    expect(renderPlanMarkdown(preview)).toContain(
      'The run would stop at preflight: docker buildx is not available: x<br>Remedy: install the buildx plugin',
    )
  })

  test('a pull request labelled type:docs releases nothing: every later step is skipped with that reason', async () => {
    const { ctx, github } = world()
    github.pulls.push({
      number: 7,
      labels: ['type:docs'],
      mergedAt: '2026-01-01T00:00:00Z',
      mergeCommitSha: COMMIT,
      baseRef: 'main',
      commits: [COMMIT],
    })
    const preview = await previewRelease(ctx, PIPELINE)
    expect(preview.kind).toBe('skip')
    expect(preview.skipped).toBe('pull request #7 is labelled type:docs')
    expect(
      preview.steps.slice(2).every((s) => s.outcome === 'skipped' && s.reason === preview.skipped),
    ).toBe(true)
    expect(planTitle(preview)).toBe('multiarch-release: plan: nothing to release')
  })

  test('floating tags: one at a newer version stays, one at an older version moves', async () => {
    const { ctx, registry, github } = world({ version: '1.2.0' })
    github.gitTags.set('v2.0.0', OTHER)
    registry.tags.set(`${IMAGE}:latest`, 'sha256:new')
    registry.annotations.set('sha256:new', { [VERSION]: '2.0.0', [REVISION]: OTHER })
    registry.tags.set(`${IMAGE}:1`, 'sha256:old')
    registry.annotations.set('sha256:old', { [VERSION]: '1.1.0', [REVISION]: OTHER })
    const preview = await previewRelease(ctx, PIPELINE)
    const notes = preview.steps
      .find((s) => s.name === 'promote')
      ?.reveals.map((r) => [r.ref.slice(IMAGE.length + 1), r.note])
    expect(notes).toEqual([
      ['1.2.0', undefined],
      ['1.2', undefined],
      ['1', 'moves from 1.1.0'],
      [
        'latest',
        'stays: it shows 2.0.0, which is newer than 1.2.0; floating tags never go backwards',
      ],
    ])
  })

  test('a draft left by an earlier run is reused, not duplicated', async () => {
    const { ctx, github } = world()
    await github.createDraft({
      tag: 'v0.1.0',
      commit: COMMIT,
      name: 'v0.1.0',
      body: '',
      prerelease: false,
    })
    const preview = await previewRelease(ctx, PIPELINE)
    expect(preview.steps.find((s) => s.name === 'draft-release')?.reveals).toEqual([
      {
        kind: 'draft',
        ref: 'v0.1.0',
        announced: false,
        note: 'the draft #1 of an earlier run is reused',
      },
    ])
  })

  test.each([
    [
      'skip',
      { kind: 'skip', reason: 'nothing to release: CI concluded failure' },
      'skipped',
      undefined,
    ],
    [
      'refuse',
      {
        kind: 'refuse',
        reason: "a 'release' event cannot publish images",
        remedy: 'trigger on push',
      },
      'not reached',
      "The run would be refused: a 'release' event cannot publish images\nRemedy: trigger on push",
    ],
  ] as const)('an event the trigger decides alone (%s)', (_name, trigger, outcome, failure) => {
    const { ctx } = world()
    const preview = previewOfTrigger(ctx.inputs, 'workflow_run', trigger, PIPELINE)
    expect(preview.steps.map((s) => s.outcome)).toEqual(PIPELINE.map(() => outcome))
    expect(planFailure(preview)).toBe(failure)
  })
})

describe('promotionOf: what promotion does with one tag', () => {
  const manifest = (digest: string) => ({
    digest,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    raw: '',
    json: {},
  })
  const state = (digest?: string, version?: string): TagState => ({
    manifest: digest === undefined ? undefined : manifest(digest),
    version: version === undefined ? undefined : new semver.SemVer(version),
  })
  const latest: FinalTag = { tag: 'latest', kind: 'floating', line: { kind: 'stable' } }
  const major2: FinalTag = { tag: '2', kind: 'floating', line: { kind: 'major', major: 2 } }
  const versionTag: FinalTag = { tag: '2.0.0', kind: 'version' }
  const extra: FinalTag = { tag: 'sha-abc', kind: 'extra' }
  const v = (...versions: string[]) => versions.map((x) => new semver.SemVer(x))
  test.each<[string, FinalTag, TagState, semver.SemVer[], Promotion]>([
    ['a new tag is written', latest, state(), [], { action: 'write', from: undefined }],
    ['a tag at the digest stays', versionTag, state('sha256:d'), [], { action: 'already' }],
    [
      'a version tag at another digest is taken',
      versionTag,
      state('sha256:x'),
      [],
      { action: 'taken', digest: 'sha256:x' },
    ],
    [
      'an older floating tag moves',
      latest,
      state('sha256:x', '1.0.0'),
      v('1.0.0'),
      { action: 'write', from: '1.0.0' },
    ],
    [
      'a floating tag showing a newer version stays',
      latest,
      state('sha256:x', '3.0.0'),
      [],
      { action: 'stay', reason: 'it shows 3.0.0, which is newer than 2.0.0' },
    ],
    [
      'a floating tag whose version cannot be read stays when the history holds a higher one',
      latest,
      state('sha256:x'),
      v('1.0.0', '2.1.0'),
      {
        action: 'stay',
        reason: '2.1.0 is released and is the highest of stable versions; 2.0.0 is not',
      },
    ],
    [
      'a floating tag whose version cannot be read moves when nothing higher is released',
      latest,
      state('sha256:x'),
      v('1.9.0'),
      { action: 'write', from: 'sha256:x' },
    ],
    [
      'a higher version of another line does not hold back the 2 tag',
      major2,
      state('sha256:x', '2.0.0-rc.1'),
      v('3.0.0', '1.9.9'),
      { action: 'write', from: '2.0.0-rc.1' },
    ],
    [
      'an extra tag is overwritten',
      extra,
      state('sha256:x', '3.0.0'),
      v('3.0.0'),
      { action: 'write', from: '3.0.0' },
    ],
  ])('%s', (_name, tag, current, history, expected) => {
    expect(promotionOf(tag, current, 'sha256:d', '2.0.0', history)).toEqual(expected)
  })
})
