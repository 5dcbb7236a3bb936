import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Run } from '../../src/run/run.js'
import { ReleaseError, StepFailure } from '../../src/model/errors.js'
import { finalTags, type FinalTag } from '../../src/model/tags.js'
import { runPipeline } from '../../src/pipeline.js'
import { draftRelease } from '../../src/steps/draft-release.js'
import { promote } from '../../src/steps/promote.js'
import { publish } from '../../src/steps/publish.js'
import type { AnyStep } from '../../src/steps/step.js'

import {
  COMMIT,
  DIGEST,
  IMAGE,
  OLD,
  OTHER_COMMIT,
  image,
  releaseContext,
} from '../support/release-context.js'

describe('promote', () => {
  test('writes the version tag first, then 1.2, 1 and latest, each read back, and records them', async () => {
    const { ctx, registry, have } = releaseContext('1.2.3', 'stable')
    await promote.run(ctx, have)
    expect(registry.copies).toEqual([
      `${IMAGE}:1.2.3`,
      `${IMAGE}:1.2`,
      `${IMAGE}:1`,
      `${IMAGE}:latest`,
    ])
    expect(registry.tags.get(`${IMAGE}:latest`)).toBe(DIGEST)
    expect(ctx.report.visible).toEqual([
      { kind: 'tag', ref: `${IMAGE}:1.2.3`, floating: false },
      { kind: 'tag', ref: `${IMAGE}:1.2`, floating: true },
      { kind: 'tag', ref: `${IMAGE}:1`, floating: true },
      { kind: 'tag', ref: `${IMAGE}:latest`, floating: true },
    ])
  })

  test.each<[string, string, 'stable' | 'rc', string, boolean]>([
    ['latest at a newer version stays', '1.2.3', 'stable', '1.3.0', false],
    ['latest at an older version moves', '1.2.3', 'stable', '1.2.2', true],
    ['latest at the same version moves', '1.2.3', 'stable', '1.2.3', true],
    ['rc at a newer rc stays', '2.0.0-rc.1', 'rc', '2.0.0-rc.2', false],
  ])('%s', async (_name, version, channel, current, moves) => {
    const { ctx, registry, have } = releaseContext(version, channel)
    const floating = channel === 'stable' ? 'latest' : 'rc'
    registry.tags.set(`${IMAGE}:${floating}`, OLD)
    registry.annotations.set(OLD, { 'org.opencontainers.image.version': current })
    await promote.run(ctx, have)
    expect(registry.tags.get(`${IMAGE}:${floating}`)).toBe(moves ? DIGEST : OLD)
    expect(image(ctx).kept.map((k) => k.ref)).toEqual(moves ? [] : [`${IMAGE}:${floating}`])
    expect(registry.tags.get(`${IMAGE}:${version}`)).toBe(DIGEST)
  })

  test('a version tag that appeared with another digest is never overwritten', async () => {
    const { ctx, registry, have } = releaseContext('1.2.3', 'stable')
    registry.tags.set(`${IMAGE}:1.2.3`, OLD)
    await expect(promote.run(ctx, have)).rejects.toThrow(/version tags are immutable/)
    expect(registry.tags.get(`${IMAGE}:1.2.3`)).toBe(OLD)
    expect(registry.copies).toEqual([])
  })

  test('a write that does not read back fails before the floating tag', async () => {
    const { ctx, registry, have } = releaseContext('1.2.3', 'stable')
    registry.lossy.add(`${IMAGE}:1.2.3`)
    await expect(promote.run(ctx, have)).rejects.toThrow(/reads back as nothing/)
    expect(registry.copies).toEqual([`${IMAGE}:1.2.3`])
  })

  test('tags already at the digest (a re-run) are not written again', async () => {
    const { ctx, registry, have } = releaseContext('1.2.3', 'stable')
    registry.tags.set(`${IMAGE}:1.2.3`, DIGEST)
    await promote.run(ctx, have)
    expect(registry.copies).toEqual([`${IMAGE}:1.2`, `${IMAGE}:1`, `${IMAGE}:latest`])
  })
})

describe('publish', () => {
  async function drafted(version: string, channel: 'stable' | 'rc') {
    const parts = releaseContext(version, channel)
    const out = await draftRelease.run(parts.ctx, parts.have)
    if ('stop' in out) throw new Error('drafting stopped')
    return { ...parts, draft: out.draft }
  }

  test.each<[string, string, 'stable' | 'rc', string[], string | undefined, string, string[]]>([
    [
      'the highest stable version becomes Latest',
      '1.2.3',
      'stable',
      ['v1.2.2', 'v1.1.0'],
      undefined,
      'prerelease=false latest=true',
      [],
    ],
    [
      'a hotfix of an older line is not Latest, and latest and 1 stay',
      '1.2.3',
      'stable',
      ['v1.3.0', 'v1.2.2'],
      undefined,
      'prerelease=false latest=false',
      ['1', 'latest'],
    ],
    [
      'a maintenance branch release is never Latest',
      '1.2.3',
      'stable',
      ['v1.2.2'],
      'release/1.2',
      'prerelease=false latest=false',
      [],
    ],
    [
      'rc: a prerelease, never latest',
      '2.0.0-rc.1',
      'rc',
      [],
      undefined,
      'prerelease=true latest=false',
      [],
    ],
  ])('%s', async (_name, version, channel, released, maintenance, flags, kept) => {
    const { ctx, github, have, draft } = await drafted(version, channel)
    for (const tag of released) github.gitTags.set(tag, OTHER_COMMIT)
    const plan = maintenance
      ? {
          ...have.plan,
          maintenance: {
            branch: maintenance,
            line: { kind: 'minor', major: 1, minor: 2 } as const,
          },
          tags: finalTags(version, have.plan.channel, undefined, '', {
            maintenance: true,
          }) as FinalTag[],
        }
      : have.plan
    const promoted = await promote.run(ctx, { ...have, plan })
    if ('stop' in promoted) throw new Error('promotion stopped')
    expect(image(ctx).kept.map((k) => k.ref.slice(IMAGE.length + 1))).toEqual(kept)
    await publish.run(ctx, { ...have, ...promoted, plan, draft })
    expect(github.calls.at(-1)).toBe(`publish 1 ${flags}`)
    expect(github.gitTags.get(`v${version}`)).toBe(COMMIT)
    expect(ctx.report.visible.at(-1)).toMatchObject({ kind: 'release', id: 1 })
    // The lease promotion took is given back when the run ends.
    expect((ctx as Run & { exits: string[] }).exits).toEqual(['give back the release lease'])
  })

  test('a tag that does not resolve to the digest keeps the Release a draft', async () => {
    const { ctx, registry, github, have, draft } = await drafted('1.2.3', 'stable')
    for (const tag of ['1.2.3', '1.2', '1']) registry.tags.set(`${IMAGE}:${tag}`, DIGEST)
    registry.tags.set(`${IMAGE}:latest`, OLD)
    const promoted = ['1.2.3', '1.2', '1', 'latest'].map((t) => ({
      ref: `${IMAGE}:${t}`,
      digest: DIGEST,
    }))
    const latest = { latest: true, reason: 'the highest' }
    await expect(publish.run(ctx, { ...have, draft, promoted, latest })).rejects.toThrow(
      /:latest resolves to sha256:0000, not to the promoted sha256:1111/,
    )
    expect(github.releases[0]?.draft).toBe(true)
  })
})

describe('draft-release', () => {
  function withAssets(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'assets-'))
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
    return dir
  }

  test('creates one draft at the commit, with notes, the image section and assets plus SHA256SUMS', async () => {
    const { ctx, github, have } = releaseContext('1.2.3', 'stable', { 'release-assets': '*.txt' })
    Object.assign(ctx, {
      env: { ...ctx.env, workspace: withAssets({ 'a.txt': 'A', 'b.txt': 'B' }) },
    })
    await draftRelease.run(ctx, have)
    expect(github.releases).toHaveLength(1)
    const [draft] = github.releases
    expect(draft).toMatchObject({ draft: true, tagName: 'v1.2.3', targetCommitish: COMMIT })
    expect(draft?.body).toContain("## What's Changed in v1.2.3")
    expect(draft?.body).toContain(`| Digest | \`${DIGEST}\` |`)
    expect(draft?.assets.map((a) => a.name)).toEqual(['a.txt', 'b.txt', 'SHA256SUMS'])
  })

  test('a re-run reuses the draft, deletes empty duplicates, and keeps identical assets', async () => {
    const { ctx, github, have } = releaseContext('1.2.3', 'stable', { 'release-assets': '*.txt' })
    const workspace = withAssets({ 'a.txt': 'A' })
    Object.assign(ctx, { env: { ...ctx.env, workspace } })
    await draftRelease.run(ctx, have)
    await github.createDraft({
      tag: 'v1.2.3',
      commit: COMMIT,
      name: 'v1.2.3',
      body: '',
      prerelease: false,
    })
    writeFileSync(join(workspace, 'a.txt'), 'A')
    github.calls.length = 0
    await draftRelease.run(ctx, have)
    expect(github.releases.map((r) => r.id)).toEqual([1])
    expect(github.calls).toEqual(['listReleases', 'deleteRelease 4', 'updateDraft 1'])
    expect(github.releases[0]?.assets.map((a) => a.name)).toEqual(['a.txt', 'SHA256SUMS'])
  })

  test('a changed asset replaces the old copy instead of failing on already_exists', async () => {
    const { ctx, github, have } = releaseContext('1.2.3', 'stable', { 'release-assets': 'a.txt' })
    const workspace = withAssets({ 'a.txt': 'first' })
    Object.assign(ctx, { env: { ...ctx.env, workspace } })
    await draftRelease.run(ctx, have)
    writeFileSync(join(workspace, 'a.txt'), 'second')
    await draftRelease.run(ctx, have)
    const assets = github.releases[0]?.assets ?? []
    expect(assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', 'a.txt'])
    expect(assets.find((a) => a.name === 'a.txt')?.size).toBe(6)
  })
})

describe('runPipeline', () => {
  const step = (name: string, run: (ctx: Run) => Promise<void>, skip?: string): AnyStep => ({
    name,
    why: name,
    needs: [],
    gives: [],
    run: async (ctx) => {
      await run(ctx)
      return {}
    },
    remedy: () => `remedy of ${name}`,
    ...(skip !== undefined ? { skip: () => skip } : {}),
  })

  test('stops at the first failure and says where things stand', async () => {
    const { ctx } = releaseContext('1.2.3', 'stable')
    const ran: string[] = []
    const steps = [
      step('one', async (c) => {
        ran.push('one')
        c.report.visible.push({ kind: 'candidate', ref: 'x' })
        await Promise.resolve()
      }),
      step('skipped', async () => Promise.resolve(), 'not needed'),
      step('two', async () => Promise.reject(new StepFailure('the registry said 500'))),
      step('three', async () => {
        ran.push('three')
        await Promise.resolve()
      }),
    ]
    const failure = await runPipeline(ctx, steps).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ReleaseError)
    expect(failure).toMatchObject({
      step: 'two',
      reason: 'the registry said 500',
      visible: 'untagged manifests only',
      remedy: 'remedy of two',
    })
    expect(ran).toEqual(['one'])
    expect(ctx.report.timeline.map((t) => [t.name, t.outcome])).toEqual([
      ['one', 'done'],
      ['skipped', 'skipped'],
      ['two', 'failed'],
    ])
  })

  test("a failure's own remedy wins over the step's", async () => {
    const { ctx } = releaseContext('1.2.3', 'stable')
    const failure = await runPipeline(ctx, [
      step('one', async () => Promise.reject(new StepFailure('no buildx', 'install buildx'))),
    ]).catch((e: unknown) => e)
    expect(failure).toMatchObject({ remedy: 'install buildx', visible: 'nothing' })
  })
})
