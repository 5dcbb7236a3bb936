// The Release options in the steps: title, body file, a draft kept for review, the discussion
// category and make-latest, and assets streamed from disk; on fakes.
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Run } from '../../src/run/run.js'
import { StepFailure } from '../../src/model/errors.js'
import { IMAGE_SECTION_MARKER, RELEASE_BODY_LIMIT } from '../../src/model/release-notes.js'
import { collectOutputs } from '../../src/report/outputs.js'
import { renderSummary } from '../../src/report/summary.js'
import { draftRelease } from '../../src/steps/draft-release.js'
import { promote } from '../../src/steps/promote.js'
import { publish } from '../../src/steps/publish.js'
import { DIGEST, IMAGE, OTHER_COMMIT, image, releaseContext } from '../support/release-context.js'

function inWorkspace(ctx: Run, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-options-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  Object.assign(ctx, { env: { ...ctx.env, workspace: dir } })
  return dir
}

/** Drafts, promotes and publishes (or keeps the draft) as one run of the pipeline would. */
async function release(parts: ReturnType<typeof releaseContext>): Promise<void> {
  const { ctx, have } = parts
  const drafted = await draftRelease.run(ctx, have)
  if ('stop' in drafted) throw new Error('drafting stopped')
  const promoted = await promote.run(ctx, have)
  if ('stop' in promoted) throw new Error('promotion stopped')
  await publish.run(ctx, { ...have, ...promoted, draft: drafted.draft })
}

const count = (text: string): number => Array.from(text).length

describe('release-name', () => {
  test('the title is the template rendered; a re-run with another title renames the draft', async () => {
    const parts = releaseContext('1.2.3', 'stable', {
      'release-name': 'App {{version}} ({{short}})',
    })
    await draftRelease.run(parts.ctx, parts.have)
    expect(parts.github.releases[0]?.name).toBe('App 1.2.3 (0123456)')

    Object.assign(parts.ctx, {
      inputs: {
        ...parts.ctx.inputs,
        releaseOptions: { ...parts.ctx.inputs.releaseOptions, name: 'Release {{major}}' },
      },
    })
    await draftRelease.run(parts.ctx, parts.have)
    expect(parts.github.releases.map((r) => r.name)).toEqual(['Release 1'])
  })

  test('without it the title is the git tag', async () => {
    const parts = releaseContext('1.2.3', 'stable')
    await draftRelease.run(parts.ctx, parts.have)
    expect(parts.github.releases[0]?.name).toBe('v1.2.3')
  })
})

describe('release-body-path', () => {
  test("the file replaces GitHub's generated notes; the image section follows it", async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'release-body-path': 'NOTES.md' })
    inWorkspace(parts.ctx, { 'NOTES.md': '## Highlights\n\n* arm64 images\n' })
    await draftRelease.run(parts.ctx, parts.have)
    const body = parts.github.releases[0]?.body ?? ''
    expect(body.startsWith(`## Highlights\n\n* arm64 images\n\n${IMAGE_SECTION_MARKER}`)).toBe(true)
    expect(body).not.toContain("What's Changed")
  })

  test("a re-run reads the file again and replaces the draft's notes, keeping one image section", async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'release-body-path': 'NOTES.md' })
    const dir = inWorkspace(parts.ctx, { 'NOTES.md': 'First notes' })
    await draftRelease.run(parts.ctx, parts.have)
    writeFileSync(join(dir, 'NOTES.md'), 'Second notes')
    await draftRelease.run(parts.ctx, parts.have)
    const [draft, ...others] = parts.github.releases
    expect(others).toEqual([])
    expect(draft?.body.startsWith(`Second notes\n\n${IMAGE_SECTION_MARKER}`)).toBe(true)
    expect(draft?.body).not.toContain('First notes')
    expect(draft?.body.split(IMAGE_SECTION_MARKER)).toHaveLength(2)
  })

  test("a file over GitHub's limit is cut with a note; the body stays within it", async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'release-body-path': 'NOTES.md' })
    inWorkspace(parts.ctx, { 'NOTES.md': `${'n'.repeat(79)}\n`.repeat(2_000) })
    await draftRelease.run(parts.ctx, parts.have)
    const body = parts.github.releases[0]?.body ?? ''
    expect(count(body)).toBeLessThanOrEqual(RELEASE_BODY_LIMIT)
    expect(body).toMatch(/_The notes were cut at GitHub's limit of 125,000 characters/)
    expect(body).toContain(`| Digest | \`sha256:1111\` |`)
  })
})

describe('release-draft', () => {
  test('the Release stays a draft with every tag promoted and every asset uploaded; outputs and summary say it awaits review', async () => {
    const parts = releaseContext('1.2.3', 'stable', {
      'release-draft': 'true',
      'release-assets': 'app.txt',
    })
    inWorkspace(parts.ctx, { 'app.txt': 'app' })
    await release(parts)
    const [draft] = parts.github.releases
    expect(draft?.draft).toBe(true)
    expect(parts.github.calls.filter((c) => c.startsWith('publish'))).toEqual([])
    expect(parts.github.gitTags.has('v1.2.3')).toBe(false)
    for (const tag of ['1.2.3', '1.2', '1', 'latest'])
      expect(parts.registry.tags.get(`${IMAGE}:${tag}`)).toBe(DIGEST)
    expect(draft?.assets.map((a) => a.name)).toEqual(['app.txt', 'SHA256SUMS'])

    const outputs = collectOutputs(parts.ctx)
    expect(outputs).toMatchObject({
      published: 'false',
      'awaiting-review': 'true',
      'release-id': String(draft?.id),
      'release-url': draft?.htmlUrl,
    })
    const summary = renderSummary(parts.ctx)
    expect(summary).toContain('Release left a draft awaiting review')
    expect(summary).toContain('Draft Release awaiting review')
    expect(summary).not.toMatch(/GitHub's Latest: this Release/)
  })

  test('a re-run finds the same draft and leaves it a draft too', async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'release-draft': 'true' })
    await release(parts)
    await release(parts)
    expect(parts.github.releases.map((r) => r.draft)).toEqual([true])
    expect(parts.github.calls.filter((c) => c.startsWith('publish'))).toEqual([])
    expect(collectOutputs(parts.ctx)['awaiting-review']).toBe('true')
  })

  test('without it the Release is published and nothing awaits review', async () => {
    const parts = releaseContext('1.2.3', 'stable')
    await release(parts)
    expect(parts.github.releases[0]?.draft).toBe(false)
    expect(collectOutputs(parts.ctx)).toMatchObject({
      published: 'true',
      'awaiting-review': 'false',
    })
  })
})

describe('discussion-category', () => {
  test('is sent when publishing', async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'discussion-category': 'Announcements' })
    await release(parts)
    expect(parts.github.calls.filter((c) => c.startsWith('publish'))).toEqual([
      'publish 1 prerelease=false latest=true discussion=Announcements',
    ])
  })

  test("GitHub's 404 for the category fails with a remedy naming the category and the permission", async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'discussion-category': 'Announcements' })
    parts.github.publish = () =>
      Promise.reject(
        new StepFailure(
          'GitHub API: publishing the release failed: 404 Discussion could not be created. Make sure you passed a valid category name.',
        ),
      )
    const failure: unknown = await release(parts).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).remedy).toMatch(
      /discussion category 'Announcements' exists in the repository .*discussions: write/,
    )
  })
})

describe('make-latest', () => {
  test.each<[string, string, string[], string, string]>([
    ['auto: the highest stable version is Latest', 'auto', ['v1.2.2'], 'latest=true', 'auto'],
    [
      'false: the highest stable version is not Latest',
      'false',
      ['v1.2.2'],
      'latest=false',
      'false',
    ],
    ['true: a hotfix of an older line is Latest', 'true', ['v1.3.0'], 'latest=true', 'true'],
    ['auto: a hotfix of an older line is not Latest', 'auto', ['v1.3.0'], 'latest=false', 'auto'],
  ])(
    '%s; the floating tags follow the history alone',
    async (_name, makeLatest, released, flag) => {
      const parts = releaseContext('1.2.3', 'stable', { 'make-latest': makeLatest })
      for (const tag of released) parts.github.gitTags.set(tag, OTHER_COMMIT)
      await release(parts)
      expect(parts.github.calls.filter((c) => c.startsWith('publish'))).toEqual([
        `publish 1 prerelease=false ${flag}`,
      ])
      // latest moves only past every released stable version, whatever make-latest says.
      const older = released.includes('v1.3.0')
      expect(image(parts.ctx).kept.map((k) => k.ref)).toEqual(
        older ? [`${IMAGE}:1`, `${IMAGE}:latest`] : [],
      )
      expect(parts.ctx.report.latest?.latest).toBe(flag === 'latest=true')
    },
  )
})

describe('assets from disk', () => {
  test('each file is streamed whole, and SHA256SUMS lists the hashes of the bytes uploaded', async () => {
    const parts = releaseContext('1.2.3', 'stable', { 'release-assets': '*.bin' })
    const big = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 7) % 256))
    const dir = inWorkspace(parts.ctx, {})
    writeFileSync(join(dir, 'big.bin'), big)
    writeFileSync(join(dir, 'empty.bin'), '')
    await draftRelease.run(parts.ctx, parts.have)
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    expect(parts.github.uploaded.get('big.bin')?.equals(big)).toBe(true)
    expect(parts.github.uploaded.get('empty.bin')?.length).toBe(0)
    expect(parts.github.uploaded.get('SHA256SUMS')?.toString()).toBe(
      `${sha(big)}  big.bin\n${sha(Buffer.alloc(0))}  empty.bin\n`,
    )
  })
})
