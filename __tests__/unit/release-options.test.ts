import { mkdtempSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Inputs } from '../../src/model/inputs.js'
import {
  RELEASE_BODY_LIMIT,
  releaseBody,
  type ImageSection,
} from '../../src/model/release-notes.js'
import { latestDecision, releaseTitle } from '../../src/model/release-options.js'
import { readReleaseBody } from '../../src/release/body-file.js'
import { parseValues, problemsOf as problemsWith } from '../support/inputs.js'

const valid: Record<string, string> = { image: 'ghcr.io/acme/app' }
const parse = (values: Record<string, string>): Inputs => parseValues({ ...valid, ...values })
const problemsOf = (values: Record<string, string>, exists?: (p: string) => boolean): string[] =>
  problemsWith({ ...valid, ...values }, { exists })

describe('the release options', () => {
  test('defaults: the git tag as title, the notes of release-notes, published, Latest from the history', () => {
    expect(parse({}).releaseOptions).toEqual({
      name: undefined,
      bodyPath: undefined,
      draft: false,
      discussionCategory: undefined,
      makeLatest: 'auto',
    })
  })

  test('as given', () => {
    expect(
      parse({
        'release-name': ' App {{version}} ',
        'release-body-path': 'notes/release.md',
        'release-draft': 'true',
        'discussion-category': 'Announcements',
      }).releaseOptions,
    ).toEqual({
      name: 'App {{version}}',
      bodyPath: 'notes/release.md',
      draft: true,
      discussionCategory: 'Announcements',
      makeLatest: 'auto',
    })
    expect(parse({ 'make-latest': 'true' }).releaseOptions.makeLatest).toBe('true')
    expect(parse({ 'make-latest': 'false' }).releaseOptions.makeLatest).toBe('false')
  })

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'a body file outside the workspace',
      { 'release-body-path': '../notes.md' },
      /^release-body-path: ..\/notes.md: it is outside the workspace/,
    ],
    [
      'an absolute body file',
      { 'release-body-path': '/etc/passwd' },
      /^release-body-path: \/etc\/passwd: it is outside the workspace/,
    ],
    [
      'a body file that does not exist',
      { 'release-body-path': 'nope.md' },
      /^release-body-path: nope.md: the file does not exist/,
    ],
    [
      'a body file and release-notes together',
      { 'release-body-path': 'notes.md', 'release-notes': 'Hello' },
      /^release-body-path: notes.md: it is set together with release-notes/,
    ],
    [
      'a title with an unknown placeholder',
      { 'release-name': 'App {{branch}}' },
      /^release-name: App \{\{branch\}\}: it uses unknown placeholders \{\{branch\}\}/,
    ],
    [
      'a title over two lines',
      { 'release-name': 'App\nv2' },
      /^release-name: App\nv2: it is not one line of text/,
    ],
    ['a category over two lines', { 'discussion-category': 'a\nb' }, /^discussion-category: /],
    [
      'an unknown make-latest',
      { 'make-latest': 'legacy' },
      /^make-latest: legacy: unknown make-latest; use one of auto, true, false/,
    ],
    [
      'make-latest on a Release kept as a draft',
      { 'release-draft': 'true', 'make-latest': 'false' },
      /^make-latest: false: release-draft keeps the Release a draft, and GitHub makes no draft Latest/,
    ],
    [
      'make-latest true on a prerelease channel',
      { channel: 'rc', 'make-latest': 'true' },
      /^make-latest: true: the release is a prerelease, and GitHub makes no prerelease Latest/,
    ],
    [
      'make-latest true on a prerelease version',
      { version: '2.0.0-beta.1', 'make-latest': 'true' },
      /GitHub makes no prerelease Latest/,
    ],
  ])('%s is refused', (_name, values, expected) => {
    expect(problemsOf(values, (p) => p !== 'nope.md')).toEqual([expect.stringMatching(expected)])
  })

  test('make-latest false on a prerelease is allowed: it is never Latest anyway', () => {
    expect(problemsOf({ channel: 'rc', 'make-latest': 'false' })).toEqual([])
  })
})

describe('releaseTitle', () => {
  const fields = {
    version: '1.4.0',
    major: '1',
    minor: '4',
    patch: '0',
    channel: 'stable',
    sha: 'abc1234def',
    short: 'abc1234',
  }
  test('the git tag when no title is given', () => {
    expect(releaseTitle({ name: undefined }, 'v1.4.0', fields)).toBe('v1.4.0')
  })
  test('the template rendered', () => {
    expect(releaseTitle({ name: 'App {{version}} ({{short}})' }, 'v1.4.0', fields)).toBe(
      'App 1.4.0 (abc1234)',
    )
  })
})

describe('latestDecision: make-latest overrides the history where GitHub allows it', () => {
  const highest = { latest: true, reason: '1.5.0 is the highest stable version' }
  const older = { latest: false, reason: '1.5.0 is released and is higher than 1.4.3' }
  const pre = { latest: false, reason: '2.0.0-rc.1 is a prerelease' }
  test.each<[string, Parameters<typeof latestDecision>, boolean, RegExp]>([
    ['auto follows the history (Latest)', ['auto', highest, false], true, /highest/],
    ['auto follows the history (not Latest)', ['auto', older, false], false, /is higher/],
    ['false: never Latest', ['false', highest, false], false, /^make-latest is false$/],
    [
      'true: a hotfix of an older line becomes Latest, saying what the history said',
      ['true', older, false],
      true,
      /^make-latest is true \(the history alone: 1.5.0 is released/,
    ],
    ['true on a prerelease: never Latest', ['true', pre, true], false, /no prerelease Latest/],
  ])('%s', (_name, args, latest, reason) => {
    const decision = latestDecision(...args)
    expect(decision.latest).toBe(latest)
    expect(decision.reason).toMatch(reason)
  })
})

describe("the Release body at GitHub's limit", () => {
  const sections: ImageSection[] = [
    {
      name: 'app',
      image: 'ghcr.io/acme/app',
      version: '1.0.0',
      digest: `sha256:${'a'.repeat(64)}`,
      platforms: ['linux/amd64'],
      tags: ['ghcr.io/acme/app:1.0.0'],
    },
  ]
  const count = (text: string): number => Array.from(text).length

  test('at the boundary: a body of exactly the limit is whole; one character more cuts the notes with a note', () => {
    const section = releaseBody('', sections)
    const fits = 'x'.repeat(RELEASE_BODY_LIMIT - count(section) - 2)
    const whole = releaseBody(fits, sections)
    expect(whole).toBe(`${fits}\n\n${section}`)
    expect(count(whole)).toBe(RELEASE_BODY_LIMIT)

    const cut = releaseBody(`${fits}x`, sections)
    expect(count(cut)).toBeLessThanOrEqual(RELEASE_BODY_LIMIT)
    expect(cut).toMatch(/_The notes were cut at GitHub's limit of 125,000 characters/)
    expect(cut.endsWith(section)).toBe(true)
  })

  test('a body within the limit is as it was', () => {
    expect(releaseBody('Notes', sections)).toBe(releaseBody('Notes', sections, Infinity))
  })

  test('long notes are cut at a line, with a note; the image section stays whole', () => {
    const line = `${'x'.repeat(99)}\n`
    const notes = line.repeat(2000) // 200,000 characters
    const body = releaseBody(notes, sections)
    expect(count(body)).toBeLessThanOrEqual(RELEASE_BODY_LIMIT)
    expect(count(body)).toBeGreaterThan(RELEASE_BODY_LIMIT - 200)
    expect(body.endsWith(releaseBody('', sections))).toBe(true)
    const [kept = ''] = body.split('\n\n_The notes were cut')
    expect(kept.endsWith('x')).toBe(true)
    expect(kept.split('\n').every((l) => l.length === 99)).toBe(true)
    const left = /(\S+) characters are left out/.exec(body)?.[1] ?? ''
    expect(Number(left.replace(/,/g, ''))).toBe(count(notes.trimEnd()) - count(kept))
    expect(body).toMatch(/GitHub's limit of 125,000 characters for a Release body/)
  })

  test('characters are code points: an emoji is never split, and counts once', () => {
    const notes = '😀'.repeat(130_000)
    const body = releaseBody(notes, sections)
    expect(count(body)).toBeLessThanOrEqual(RELEASE_BODY_LIMIT)
    expect(body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
    expect(body.startsWith('😀'.repeat(100_000))).toBe(true)
  })

  test('a re-run keeps its cut notes and replaces the image section', () => {
    const once = releaseBody('y'.repeat(200_000), sections)
    expect(releaseBody(once, sections)).toBe(once)
  })
})

describe('readReleaseBody', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'body-'))
  const outside = mkdtempSync(join(tmpdir(), 'outside-'))
  writeFileSync(join(workspace, 'notes.md'), '# Notes\n\nHello ✓\n')
  writeFileSync(join(outside, 'secret.txt'), 'not yours')
  symlinkSync(join(outside, 'secret.txt'), join(workspace, 'link.md'))
  mkdirSync(join(workspace, 'dir'))
  writeFileSync(join(workspace, 'big.md'), '')
  truncateSync(join(workspace, 'big.md'), 17 * 1024 * 1024)

  test('reads a file of the workspace as UTF-8', async () => {
    await expect(readReleaseBody(workspace, 'notes.md')).resolves.toBe('# Notes\n\nHello ✓\n')
  })
  test.each([
    ['a symlink out of the workspace', 'link.md', /leads outside the workspace/],
    ['a file that does not exist', 'nope.md', /does not exist in the workspace/],
    ['a folder', 'dir', /is not a file/],
    ['a file too large to be notes', 'big.md', /is 17825792 bytes/],
  ])('refuses %s', async (_name, path, message) => {
    await expect(readReleaseBody(workspace, path)).rejects.toThrow(message)
  })
})
