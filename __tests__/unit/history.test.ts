import semver from 'semver'
import {
  branchVerdict,
  firstOfLine,
  maintenanceLineOf,
  outsideLine,
} from '../../src/model/branch-policy.js'
import {
  BUILD_IDENTITY_ANNOTATION,
  buildIdentity,
  reuseVerdict,
  type BuildIdentityParts,
} from '../../src/model/build-identity.js'
import {
  decideFloating,
  decideLatest,
  releasedVersions,
  type FloatingLine,
} from '../../src/model/history.js'

const v = (text: string): semver.SemVer => new semver.SemVer(text)
const vs = (...texts: string[]): semver.SemVer[] => texts.map(v)

describe('releasedVersions: version tags and published Releases, highest first', () => {
  test('merges both sources, drops what is not a version of the prefix, keeps each once', () => {
    const found = releasedVersions(
      'v',
      ['v1.4.2', 'v1.5.0', 'nightly', 'app-2.0.0', 'v1.5.0'],
      ['v1.5.1', 'v2.0.0-rc.1', 'vnext'],
    )
    expect(found.map((x) => x.version)).toEqual(['2.0.0-rc.1', '1.5.1', '1.5.0', '1.4.2'])
  })
})

describe('decideFloating: a floating tag moves only to the highest version of its line', () => {
  const latest: FloatingLine = { kind: 'stable' }
  const one: FloatingLine = { kind: 'major', major: 1 }
  const oneFour: FloatingLine = { kind: 'minor', major: 1, minor: 4 }
  const rc: FloatingLine = { kind: 'channel', name: 'rc' }
  test.each<[string, FloatingLine, string, string | undefined, string[], boolean | RegExp]>([
    [
      'a hotfix of 1.4 over a released 1.5.0 leaves latest',
      latest,
      '1.4.3',
      undefined,
      ['1.5.0'],
      /1\.5\.0 is released/,
    ],
    [
      'a hotfix of 1.4 over a released 1.5.0 leaves 1',
      one,
      '1.4.3',
      undefined,
      ['1.5.0'],
      /highest of the 1\.x line/,
    ],
    ['a hotfix of 1.4 moves 1.4', oneFour, '1.4.3', '1.4.2', ['1.5.0', '1.4.2'], true],
    [
      'the label says 1.5.0: latest stays even without history',
      latest,
      '1.4.3',
      '1.5.0',
      [],
      /shows 1\.5\.0/,
    ],
    ['a newer patch moves latest', latest, '1.5.1', '1.5.0', ['1.5.0'], true],
    ['the same version moves (a re-run)', latest, '1.5.0', '1.5.0', ['1.5.0'], true],
    ['an unknown image with no history moves', latest, '0.1.0', undefined, [], true],
    ['a higher major does not hold back the 1 tag', one, '1.6.0', undefined, ['2.0.0'], true],
    ['a prerelease is not in the stable line', latest, '1.5.0', undefined, ['1.6.0-rc.1'], true],
    [
      'rc moves to the highest rc only',
      rc,
      '1.6.0-rc.1',
      undefined,
      ['1.6.0-rc.2'],
      /1\.6\.0-rc\.2 is released/,
    ],
    ['another channel does not hold back rc', rc, '1.6.0-rc.3', undefined, ['1.7.0-beta.1'], true],
  ])('%s', (_name, line, version, shown, history, expected) => {
    const decision = decideFloating(
      line,
      v(version),
      shown === undefined ? undefined : v(shown),
      vs(...history),
    )
    if (expected === true) expect(decision).toEqual({ move: true })
    else {
      expect(decision.move).toBe(false)
      expect(!decision.move && decision.reason).toMatch(expected as RegExp)
    }
  })
})

describe("decideLatest: the highest stable version is GitHub's Latest", () => {
  const stable = { kind: 'stable' } as const
  test.each<[string, string, string[], string | undefined, boolean]>([
    ['the highest stable version', '1.5.1', ['1.5.0', '1.4.2'], undefined, true],
    ['a first release', '0.1.0', [], undefined, true],
    ['a hotfix of an older line', '1.4.3', ['1.5.0'], undefined, false],
    ['a release below a higher prerelease', '1.5.0', ['1.6.0-rc.1'], undefined, true],
    ['a maintenance branch, even when highest', '1.6.0', ['1.5.0'], 'release/1.x', false],
  ])('%s', (_name, version, history, maintenance, latest) => {
    expect(decideLatest(v(version), stable, vs(...history), maintenance).latest).toBe(latest)
  })
  test('a prerelease never', () => {
    expect(
      decideLatest(v('2.0.0-rc.1'), { kind: 'prerelease', name: 'rc' }, [], undefined),
    ).toEqual({
      latest: false,
      reason: '2.0.0-rc.1 is a prerelease',
    })
  })
})

describe('branch policy', () => {
  test.each<[string, ReturnType<typeof maintenanceLineOf>]>([
    ['1.x', { kind: 'major', major: 1 }],
    ['1.x.x', { kind: 'major', major: 1 }],
    ['1.4.x', { kind: 'minor', major: 1, minor: 4 }],
    ['release/1.4', { kind: 'minor', major: 1, minor: 4 }],
    ['release-2', { kind: 'major', major: 2 }],
    ['v3.x', { kind: 'major', major: 3 }],
    ['next', undefined],
    ['feature/dashboards', undefined],
    ['main2', undefined],
  ])('the line of branch %s', (branch, line) => {
    expect(maintenanceLineOf(branch)).toEqual(line)
  })

  test.each<[string, string[], string]>([
    ['main', [], 'release'],
    ['feature/dashboards', [], 'not-release'],
    ['feature/dashboards', ['release/*'], 'not-release'],
    ['release/1.4', ['release/*'], 'release'],
    ['release/1.4/extra', ['release/*'], 'not-release'],
    ['release/1.4/extra', ['release/**'], 'release'],
    ['1.x', ['+([0-9]).x'], 'release'],
  ])('branch %s with release-branches %j', (branch, patterns, kind) => {
    expect(branchVerdict(branch, 'main', patterns).kind).toBe(kind)
  })

  test('the default branch is never a maintenance branch, even with a version-like name', () => {
    expect(branchVerdict('v2', 'v2', ['v*'])).toEqual({ kind: 'release' })
  })

  test('a version outside the line is named with the branch', () => {
    const line = { branch: 'release/1.4', line: { kind: 'minor', major: 1, minor: 4 } } as const
    expect(outsideLine(v('1.4.9-rc.1'), line)).toBeUndefined()
    expect(outsideLine(v('1.5.0'), line)).toBe(
      'version 1.5.0 is outside the 1.4.x line of the maintenance branch release/1.4',
    )
    expect(firstOfLine(line.line).version).toBe('1.4.0')
    expect(firstOfLine({ kind: 'major', major: 2 }).version).toBe('2.0.0')
  })
})

describe('build identity', () => {
  const parts: BuildIdentityParts = {
    commit: 'c'.repeat(40),
    version: '0.9.0',
    platforms: ['linux/amd64', 'linux/arm64'],
    context: '.',
    file: './Dockerfile',
    target: undefined,
    buildArgs: [{ key: 'APP_VERSION', value: '0.9.0' }],
    provenance: undefined,
    sbom: undefined,
    driver: 'docker',
    labels: { a: '1', b: '2' },
    annotations: { a: '1' },
    secretIds: [],
  }
  const base = buildIdentity(parts)

  test('label order does not change it', () => {
    expect(buildIdentity({ ...parts, labels: { b: '2', a: '1' } })).toBe(base)
  })

  test.each<[string, Partial<BuildIdentityParts>]>([
    ['the version', { version: '0.9.1' }],
    ['a build-arg', { buildArgs: [{ key: 'APP_VERSION', value: '0.9.1' }] }],
    ['the Dockerfile', { file: 'other/Dockerfile' }],
    ['the context', { context: 'app' }],
    ['the target', { target: 'prod' }],
    ['the platforms', { platforms: ['linux/amd64'] }],
    ['provenance', { provenance: 'false' }],
    ['the SBOM', { sbom: 'true' }],
    ['the driver', { driver: 'docker-container' }],
    ['a label', { labels: { a: '1', b: '3' } }],
    ['an annotation', { annotations: { a: '2' } }],
    ['a secret id', { secretIds: ['npm'] }],
    ['the assembled sources', { sources: ['sha256:1'] }],
  ])('%s changes it', (_name, change) => {
    expect(buildIdentity({ ...parts, ...change })).not.toBe(base)
  })

  const expected = { commit: parts.commit, version: '0.9.1', identity: base }
  const recorded = (extra: Record<string, string>) => ({
    'org.opencontainers.image.revision': parts.commit,
    ...extra,
  })
  test.each<[string, Record<string, string>, boolean | string]>([
    ['the same identity is reused', recorded({ [BUILD_IDENTITY_ANNOTATION]: base }), true],
    [
      'another commit is not',
      { 'org.opencontainers.image.revision': 'd'.repeat(40) },
      `built from commit ${'d'.repeat(12)}, not ${'c'.repeat(12)}`,
    ],
    [
      'the same commit as another version is not, and says which',
      recorded({
        [BUILD_IDENTITY_ANNOTATION]: 'sha256:x',
        'org.opencontainers.image.version': '0.9.0',
      }),
      'built from this commit as version 0.9.0, not 0.9.1',
    ],
    [
      'the same commit and version with other inputs is not',
      recorded({
        [BUILD_IDENTITY_ANNOTATION]: 'sha256:x',
        'org.opencontainers.image.version': '0.9.1',
      }),
      expect.stringMatching(/with other build inputs/),
    ],
    [
      'an image without an identity is not',
      recorded({}),
      expect.stringMatching(/records no build identity/),
    ],
  ])('%s', (_name, annotations, verdict) => {
    expect(reuseVerdict(annotations, expected)).toEqual(
      verdict === true ? { reuse: true } : { reuse: false, why: verdict },
    )
  })
})
