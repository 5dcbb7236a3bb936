import { IMAGE_SECTION_MARKER, checksumsFile, releaseBody } from '../../src/model/release-notes.js'
import { finalTags, unknownPlaceholders, type FinalTag } from '../../src/model/tags.js'

const section = {
  name: 'app',
  image: 'ghcr.io/acme/app',
  version: '1.2.3',
  digest: 'sha256:abc',
  platforms: ['linux/amd64', 'linux/arm64'],
  tags: ['ghcr.io/acme/app:1.2.3', 'ghcr.io/acme/app:latest'],
}

describe('releaseBody', () => {
  test('generated notes, then the image section with pull command, digest, platforms and tags', () => {
    const body = releaseBody("## What's Changed\n* Fix by @a in #1\n", [section])
    expect(body.startsWith("## What's Changed\n* Fix by @a in #1\n\n" + IMAGE_SECTION_MARKER)).toBe(
      true,
    )
    expect(body).toContain('docker pull ghcr.io/acme/app:1.2.3')
    expect(body).toContain('| Digest | `sha256:abc` |')
    expect(body).toContain('| Platforms | linux/amd64, linux/arm64 |')
    expect(body).toContain('`ghcr.io/acme/app:latest`')
  })

  test('a re-run replaces its own section instead of adding a second one', () => {
    const first = releaseBody('Notes', [section])
    const second = releaseBody(first, [{ ...section, digest: 'sha256:def' }])
    expect(second.split(IMAGE_SECTION_MARKER)).toHaveLength(2)
    expect(second).toContain('sha256:def')
    expect(second).not.toContain('sha256:abc')
    expect(second.startsWith('Notes\n\n')).toBe(true)
  })

  test('empty notes give the image section alone', () => {
    expect(releaseBody('', [section]).startsWith(IMAGE_SECTION_MARKER)).toBe(true)
  })
})

test.each<[string, { name: string; sha256: string }[], string]>([
  [
    'sorted by name, two spaces as sha256sum writes',
    [
      { name: 'b.tgz', sha256: '22' },
      { name: 'a.tgz', sha256: '11' },
    ],
    '11  a.tgz\n22  b.tgz\n',
  ],
  ['none', [], ''],
])('checksumsFile: %s', (_name, files, expected) => {
  expect(checksumsFile(files)).toBe(expected)
})

const stable = { kind: 'stable' } as const
const rc = { kind: 'prerelease', name: 'rc' } as const
const SHA = '0123456789abcdef0123456789abcdef01234567'

describe('finalTags: the version tag first, extra tags, then floating tags from narrow to wide', () => {
  test.each<[string, Parameters<typeof finalTags>, string[], FinalTag['kind'][]]>([
    [
      'stable',
      ['1.2.3', stable],
      ['1.2.3', '1.2', '1', 'latest'],
      ['version', 'floating', 'floating', 'floating'],
    ],
    [
      'rc: the version and the channel only',
      ['1.5.0-rc.2', rc],
      ['1.5.0-rc.2', 'rc'],
      ['version', 'floating'],
    ],
    [
      'an image tag prefix on version tags only',
      ['1.2.3', stable, { imageTagPrefix: 'v', extra: [] }],
      ['v1.2.3', 'v1.2', 'v1', 'latest'],
      ['version', 'floating', 'floating', 'floating'],
    ],
    [
      'extra templates after the version',
      [
        '1.2.3',
        stable,
        { imageTagPrefix: '', extra: ['sha-{{short}}', '{{major}}.{{minor}}-{{channel}}'] },
        SHA,
      ],
      ['1.2.3', 'sha-0123456', '1.2-stable', '1.2', '1', 'latest'],
      ['version', 'extra', 'extra', 'floating', 'floating', 'floating'],
    ],
    [
      'an extra tag that is also a floating tag is the floating one, never moved backwards',
      ['0.1.0', stable, { imageTagPrefix: '', extra: ['{{major}}', 'edge', 'edge'] }],
      ['0.1.0', 'edge', '0.1', '0', 'latest'],
      ['version', 'extra', 'floating', 'floating', 'floating'],
    ],
    [
      'an extra tag that is the version tag is the version tag',
      ['1.2.3', stable, { imageTagPrefix: '', extra: ['{{version}}'] }],
      ['1.2.3', '1.2', '1', 'latest'],
      ['version', 'floating', 'floating', 'floating'],
    ],
  ])('%s', (_name, args, tags, kinds) => {
    const planned = finalTags(...args)
    expect(typeof planned).not.toBe('string')
    expect((planned as FinalTag[]).map((t) => t.tag)).toEqual(tags)
    expect((planned as FinalTag[]).map((t) => t.kind)).toEqual(kinds)
  })

  test('a template that renders an invalid tag is refused', () => {
    expect(finalTags('1.2.3', stable, { imageTagPrefix: '', extra: ['-{{short}}'] }, SHA)).toMatch(
      /'-0123456' is not a valid tag/,
    )
  })
})

test.each<[string, string[]]>([
  ['sha-{{short}}', []],
  ['{{ version }}-{{branch}}', ['branch']],
  ['{{sha}}{{nope}}{{run}}', ['nope', 'run']],
])('unknownPlaceholders(%j) = %j', (template, unknown) => {
  expect(unknownPlaceholders(template)).toEqual(unknown)
})
