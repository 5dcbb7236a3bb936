import type { ReleasePlan, Replica } from '../../src/run/artifacts.js'
import type { Run } from '../../src/run/run.js'
import type { CosignTarget } from '../../src/sign/cosign-args.js'
import type { Signer } from '../../src/ports/signer.js'
import { ReleaseError, RegistryUnauthorized, StepFailure } from '../../src/model/errors.js'
import { renderImageSection } from '../../src/model/release-notes.js'
import { finalTags, type FinalTag } from '../../src/model/tags.js'
import { runPipeline } from '../../src/pipeline.js'
import { collectOutputs } from '../../src/report/outputs.js'
import { renderSummary } from '../../src/report/summary.js'
import { preflight } from '../../src/steps/preflight.js'
import { promote, promotionTargets } from '../../src/steps/promote.js'
import { replicate } from '../../src/steps/replicate.js'
import { sign } from '../../src/steps/sign.js'
import { planned } from '../support/artifacts.js'
import { contextFor } from '../support/context.js'
import { CAPABLE_ENGINE, FakeEngine } from '../support/fake-engine.js'
import { FakeGitHub, FakeRegistry } from '../support/fakes.js'

/** One image released to two repositories on two registries: the first is where it is built. */
const FIRST = 'one.example.test/acme/app'
const SECOND = 'two.example.test/mirror/app'
const DIGEST = 'sha256:1111'
const OLD = 'sha256:0000'
const COMMIT = '0123456789abcdef0123456789abcdef01234567'
const TAGS = ['1.2.3', '1.2', '1', 'latest']

function world(values: Record<string, string> = {}): {
  ctx: Run
  registry: FakeRegistry
  plan: ReleasePlan
  candidates: ReturnType<typeof candidatesOf>
} {
  const registry = new FakeRegistry()
  const ctx = contextFor(
    { image: `${FIRST}\n${SECOND}`, 'github-token': 't', ...values },
    { registry, github: new FakeGitHub() },
  )
  const ch = { kind: 'stable' } as const
  const plan: ReleasePlan = {
    version: '1.2.3',
    channel: ch,
    commit: COMMIT,
    commitTime: 0,
    gitTag: 'v1.2.3',
    tags: finalTags('1.2.3', ch) as FinalTag[],
  }
  return { ctx, registry, plan, candidates: candidatesOf(ctx, plan) }
}

const candidatesOf = (ctx: Run, plan: ReleasePlan) =>
  planned(ctx, plan).images.map((image) => ({ image, ref: `${FIRST}@${DIGEST}`, digest: DIGEST }))

/** The copy of the only candidate in the second repository, as replicate hands it on. */
function replicasOf(candidates: ReturnType<typeof candidatesOf>): Replica[] {
  const [candidate] = candidates
  const repository = candidate?.image.build.repositories[1]
  if (!candidate || !repository) throw new Error('no second repository')
  return [{ candidate, repository }]
}

const refused = (name: string) =>
  new RegistryUnauthorized(`${name}@${DIGEST}`, 'PUT: the registry refused the credentials')

describe('replicate', () => {
  test('copies the verified digest to every further repository and reads it back there', async () => {
    const { ctx, registry, candidates } = world()
    const out = await replicate.run(ctx, { candidates })
    expect(registry.writes).toEqual([`digest ${SECOND}@${DIGEST}`])
    expect(out).toEqual({ replicas: replicasOf(candidates) })
    expect(ctx.report.visible).toEqual([{ kind: 'candidate', ref: `${SECOND}@${DIGEST}` }])
  })

  test('is skipped when each image has one repository, handing on no replica', () => {
    const { ctx } = world({ image: FIRST })
    expect(replicate.skip?.(ctx, {})).toBe('each image has one repository')
  })

  test('a repository that refuses the copy is named, with the remedy for it', async () => {
    const { ctx, registry, candidates } = world()
    registry.refuse.set(SECOND, refused(SECOND))
    const failure = (await replicate
      .run(ctx, { candidates })
      .catch((e: unknown) => e)) as StepFailure
    expect(failure).toBeInstanceOf(StepFailure)
    expect(failure.message).toMatch(
      `copying ${DIGEST} to ${SECOND} failed, so no final tag was written in any repository`,
    )
    expect(failure.remedy).toMatch(`give the run push access to ${SECOND}`)
    expect(failure.remedy).toMatch(/registry-username/)
    expect(ctx.report.visible).toEqual([])
  })

  test('a copy that does not read back as the digest stops the run', async () => {
    const { ctx, registry, candidates } = world()
    registry.lossy.add(`${SECOND}@${DIGEST}`)
    await expect(replicate.run(ctx, { candidates })).rejects.toThrow(
      `${SECOND}@${DIGEST} was copied but reads back as nothing`,
    )
  })
})

describe('all or nothing', () => {
  test('no final tag in any repository before every copy is read back: the copy refused, nothing tagged', async () => {
    const { ctx, registry, plan, candidates } = world()
    registry.refuse.set(SECOND, refused(SECOND))
    const found = { ...planned(ctx, plan), candidates, lease: undefined }
    const failure = (await runPipeline(ctx, [replicate, promote], found).catch(
      (e: unknown) => e,
    )) as ReleaseError
    expect(failure).toBeInstanceOf(ReleaseError)
    expect(failure.step).toBe('replicate')
    expect(failure.message).toMatch(SECOND)
    expect(failure.message).toMatch(/Visible to users: nothing\./)
    expect(registry.writes.filter((w) => w.startsWith('tag '))).toEqual([])
    expect(registry.tags.size).toBe(0)
  })

  test('every copy comes before the first tag, and each tag is written in every repository before the next', async () => {
    const { ctx, registry, plan, candidates } = world()
    const found = { ...planned(ctx, plan), candidates, lease: undefined }
    await runPipeline(ctx, [replicate, promote], found)
    expect(registry.writes).toEqual([
      `digest ${SECOND}@${DIGEST}`,
      ...TAGS.flatMap((t) => [`tag ${FIRST}:${t}`, `tag ${SECOND}:${t}`]),
    ])
    for (const t of TAGS) {
      expect(registry.tags.get(`${FIRST}:${t}`)).toBe(DIGEST)
      expect(registry.tags.get(`${SECOND}:${t}`)).toBe(DIGEST)
    }
  })

  test('promotion refuses a further repository without a replica read back (a pipeline out of order)', () => {
    const { candidates } = world()
    expect(() => promotionTargets(candidates, [])).toThrow(
      `${SECOND} has no copy of ${DIGEST} to promote`,
    )
  })

  test('a failure in the middle of tagging says which tags exist; the re-run writes the rest', async () => {
    const { ctx, registry, plan, candidates } = world()
    const replicas = replicasOf(candidates)
    registry.lossy.add(`${SECOND}:1.2`)
    const have = { plan, candidates, replicas, lease: undefined }
    await expect(promote.run(ctx, have)).rejects.toThrow(
      `${SECOND}:1.2 was written but reads back as nothing`,
    )
    expect(ctx.report.visible.map((v) => (v.kind === 'tag' ? v.ref : v.kind))).toEqual([
      `${FIRST}:1.2.3`,
      `${SECOND}:1.2.3`,
      `${FIRST}:1.2`,
    ])
    // The re-run: the registry answers again; what is there is not written twice.
    registry.lossy.clear()
    const before = registry.writes.length
    const again = world()
    const rerun = { ...again.ctx, ports: { ...again.ctx.ports, registry } }
    await promote.run(rerun, have)
    expect(registry.writes.slice(before)).toEqual([
      `tag ${SECOND}:1.2`,
      `tag ${FIRST}:1`,
      `tag ${SECOND}:1`,
      `tag ${FIRST}:latest`,
      `tag ${SECOND}:latest`,
    ])
    for (const t of TAGS) expect(registry.tags.get(`${SECOND}:${t}`)).toBe(DIGEST)
  })

  test('floating tags are judged per repository: latest at a newer version stays there only', async () => {
    const { ctx, registry, plan, candidates } = world()
    registry.tags.set(`${SECOND}:latest`, OLD)
    registry.annotations.set(OLD, { 'org.opencontainers.image.version': '1.3.0' })
    const replicas = replicasOf(candidates)
    await promote.run(ctx, { plan, candidates, replicas, lease: undefined })
    expect(registry.tags.get(`${FIRST}:latest`)).toBe(DIGEST)
    expect(registry.tags.get(`${SECOND}:latest`)).toBe(OLD)
    expect(ctx.report.images[0]?.kept.map((k) => k.ref)).toEqual([`${SECOND}:latest`])
  })
})

describe('preflight checks push access to every repository before anything is built', () => {
  const git = { head: () => Promise.resolve(COMMIT), commitTime: () => Promise.resolve(0) }
  const context = (registry: FakeRegistry, mode: 'release' | 'build-platform' = 'release') => {
    const engine = new FakeEngine()
    engine.engineInfo = CAPABLE_ENGINE
    return contextFor(
      { image: `${FIRST}\n${SECOND}`, 'github-token': 't' },
      { registry, github: new FakeGitHub(), git, engine },
      { mode },
    )
  }

  test('each repository is asked, in order', async () => {
    const registry = new FakeRegistry()
    await preflight.run(context(registry), {})
    expect(registry.pushChecked).toEqual([FIRST, SECOND])
    expect(registry.writes).toEqual([])
  })

  test('a build-platform job writes to the first repository only, and asks only about it', async () => {
    const registry = new FakeRegistry()
    await preflight.run(context(registry, 'build-platform'), {})
    expect(registry.pushChecked).toEqual([FIRST])
  })

  test('a repository the run may not write stops it, named, with the remedy', async () => {
    const registry = new FakeRegistry()
    registry.refuse.set(SECOND, refused(SECOND))
    const failure = (await preflight
      .run(context(registry), {})
      .catch((e: unknown) => e)) as StepFailure
    expect(failure.message).toMatch(`the run may not write to ${SECOND}`)
    expect(failure.remedy).toMatch(`give the run push access to ${SECOND}: log in`)
  })

  test('a plan asks nothing that could write, not even an upload', async () => {
    const registry = new FakeRegistry()
    const engine = new FakeEngine()
    engine.engineInfo = CAPABLE_ENGINE
    const ctx = contextFor(
      { image: `${FIRST}\n${SECOND}`, 'github-token': 't', mode: 'plan' },
      { registry, github: new FakeGitHub(), git, engine },
    )
    await preflight.run(ctx, {})
    expect(registry.pushChecked).toEqual([])
  })
})

describe('what users read lists every repository', () => {
  test('sign signs and verifies the digest in every repository', async () => {
    const { candidates } = world()
    const signed: string[] = []
    const signer: Signer = {
      available: () => Promise.resolve(true),
      sign: (t: CosignTarget) => {
        signed.push(`sign ${t.ref}`)
        return Promise.resolve()
      },
      verify: (t: CosignTarget) => {
        signed.push(`verify ${t.ref}`)
        return Promise.resolve()
      },
    }
    const registry = new FakeRegistry()
    const ctx = contextFor(
      { image: `${FIRST}\n${SECOND}`, sign: 'keyless' },
      { registry, github: new FakeGitHub(), signer },
    )
    const replicas = replicasOf(candidates)
    await sign.run(ctx, { candidates, replicas })
    expect(signed).toEqual([
      `sign ${FIRST}@${DIGEST}`,
      `verify ${FIRST}@${DIGEST}`,
      `sign ${SECOND}@${DIGEST}`,
      `verify ${SECOND}@${DIGEST}`,
    ])
  })

  test('the tags output and the components output hold both repositories; the summary names both', async () => {
    const { ctx, plan, candidates } = world()
    const found = { ...planned(ctx, plan), candidates, lease: undefined }
    const [report] = ctx.report.images
    if (report) report.candidate = { ref: `${FIRST}@${DIGEST}`, digest: DIGEST }
    await runPipeline(ctx, [replicate, promote], found)
    const outputs = collectOutputs(ctx)
    expect(outputs.tags.split('\n')).toEqual(
      TAGS.flatMap((t) => [`${FIRST}:${t}`, `${SECOND}:${t}`]),
    )
    const [component] = Object.values(
      JSON.parse(outputs.components) as Record<string, { repositories: string[]; tags: string[] }>,
    )
    expect(component?.repositories).toEqual([FIRST, SECOND])
    expect(component?.tags).toHaveLength(8)
    const summary = renderSummary(ctx)
    expect(summary).toContain(`Repositories: \`${FIRST}\`, \`${SECOND}\``)
    for (const t of TAGS) expect(summary).toContain(`| \`${SECOND}:${t}\` | \`${DIGEST}\` |`)
  })

  test("the Release body's image section lists every repository", () => {
    const body = renderImageSection([
      {
        name: 'app',
        image: FIRST,
        version: '1.2.3',
        digest: DIGEST,
        platforms: ['linux/amd64'],
        repositories: [FIRST, SECOND],
        tags: [`${FIRST}:1.2.3`, `${SECOND}:1.2.3`],
      },
    ])
    expect(body).toContain(`| Repositories | \`${FIRST}\`, \`${SECOND}\` |`)
    expect(body).toContain(`\`${SECOND}:1.2.3\``)
  })
})
