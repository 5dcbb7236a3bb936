import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import {
  INPUT_DEFAULTS,
  parseInputs,
  envInputReader,
  type ImageBuild,
  type Inputs,
} from '../../src/model/inputs.js'
import { formatPlatform } from '../../src/model/platform.js'
import { parseValues, problemsOf as problemsWith } from '../support/inputs.js'

const valid: Record<string, string> = { image: 'ghcr.io/acme/app' }
/** The only image of a single-image release. */
const one = (inputs: Inputs): ImageBuild => {
  const [first] = inputs.components
  if (!first) throw new Error('no image')
  return first
}
const parse = (
  values: Record<string, string>,
  exists: (p: string) => boolean = () => true,
): Inputs => parseValues({ ...valid, ...values }, { exists })
const problemsOf = (values: Record<string, string>, exists?: (p: string) => boolean): string[] =>
  problemsWith({ ...valid, ...values }, { exists })

describe('defaults', () => {
  test('a run with only image set builds linux/amd64 and linux/arm64 from ./Dockerfile', () => {
    const inputs = parse({})
    expect(inputs.mode).toBe('auto')
    expect(one(inputs).platforms.map(formatPlatform)).toEqual(['linux/amd64', 'linux/arm64'])
    expect(inputs.channel).toEqual({ kind: 'auto' })
    expect(inputs.bump).toBe('auto')
    expect(one(inputs).context).toBe('.')
    expect(one(inputs).file).toBe('./Dockerfile')
    expect(one(inputs).smoke.timeout.fallback.ms).toBe(60_000)
  })

  test('action.yml declares the same defaults as the parser, and every input the parser reads', () => {
    const action = parseYaml(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default?: unknown; required?: boolean }>
    }
    const declared = Object.fromEntries(
      Object.entries(action.inputs).flatMap(([name, spec]) =>
        spec.default !== undefined && !JSON.stringify(spec.default).includes('${{')
          ? [[name, typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)]]
          : [],
      ),
    )
    expect(declared).toEqual(INPUT_DEFAULTS)
    const read: string[] = []
    try {
      parseInputs((name) => {
        read.push(name)
        return valid[name] ?? ''
      })
    } catch {
      // only the names matter here
    }
    expect([...new Set(read)].sort()).toEqual(Object.keys(action.inputs).sort())
  })

  test('the runner passes inputs as INPUT_ variables, upper-cased, dashes kept; an empty value stays empty', () => {
    const read = envInputReader({
      'INPUT_SMOKE-HTTP': '8080/health',
      INPUT_IMAGE: 'r/app',
      'INPUT_TAG-PREFIX': '',
    })
    expect(read('smoke-http')).toBe('8080/health')
    expect(read('image')).toBe('r/app')
    expect(read('tag-prefix')).toBe('')
    expect(read('mode')).toBe('auto')
    expect(parseInputs(read).tagPrefix).toBe('')
    expect(parseInputs(envInputReader({ INPUT_IMAGE: 'r/app' })).tagPrefix).toBe('v')
  })
})

describe('accepted values', () => {
  test.each<[string, Record<string, string>, (i: Inputs) => unknown, unknown]>([
    [
      'platforms by newline',
      { platforms: 'linux/amd64\nlinux/arm/v7\n' },
      (i) => one(i).platforms.map(formatPlatform),
      ['linux/amd64', 'linux/arm'],
    ],
    [
      'platforms by comma with spaces',
      { platforms: ' linux/arm64 , linux/amd64' },
      (i) => one(i).platforms.map(formatPlatform),
      ['linux/arm64', 'linux/amd64'],
    ],
    ['version with v', { version: 'v1.4.0' }, (i) => i.version?.version, '1.4.0'],
    ['prerelease version', { version: '2.0.0-rc.1' }, (i) => i.version?.version, '2.0.0-rc.1'],
    ['file defaults under the context', { context: 'app/' }, (i) => one(i).file, 'app/Dockerfile'],
    [
      'build args keep = and spaces in values',
      { 'build-args': 'A=1\nB=x=y z\n# comment\n' },
      (i) => one(i).buildArgs,
      [
        { key: 'A', value: '1' },
        { key: 'B', value: 'x=y z' },
      ],
    ],
    [
      'smoke-run splits words, keeps quotes and $VARS literal',
      { 'smoke-run': `--help\nsh -c "echo \${HOME} | cat"\nenv $X\nversion 'a b'` },
      (i) => one(i).smoke.run,
      [['--help'], ['sh', '-c', 'echo ${HOME} | cat'], ['env', '${X}'], ['version', 'a b']],
    ],
    [
      'smoke-run keeps $( ) for the shell inside the image',
      { 'smoke-run': 'sh -c "test $(uname -m) != aarch64"' },
      (i) => one(i).smoke.run,
      [['sh', '-c', 'test $(uname -m) != aarch64']],
    ],
    [
      'smoke-run keeps a glob literal',
      { 'smoke-run': 'ls /etc/*.conf' },
      (i) => one(i).smoke.run,
      [['ls', '/etc/*.conf']],
    ],
    [
      'smoke-http with default expectation',
      { 'smoke-http': '8080/health' },
      (i) => one(i).smoke.http,
      { port: 8080, path: '/health', expect: { kind: 'any-2xx' } },
    ],
    [
      'smoke-http exact body',
      { 'smoke-http': '80', 'smoke-http-expect': ' ok ' },
      (i) => one(i).smoke.http,
      { port: 80, path: '/', expect: { kind: 'body', text: 'ok' } },
    ],
    [
      'smoke-http regex',
      { 'smoke-http': '8080/v', 'smoke-http-expect': '/^v\\d+/' },
      (i) => one(i).smoke.http?.expect.kind,
      'regex',
    ],
    [
      'smoke-timeout with overrides',
      { 'smoke-timeout': '120,linux/arm64=300' },
      (i) => [one(i).smoke.timeout.fallback.ms, [...one(i).smoke.timeout.overrides]],
      [120_000, [['linux/arm64', { ms: 300_000 }]]],
    ],
    [
      'release assets are lines',
      { 'release-assets': 'dist/*.tgz\n\nchecksums.txt' },
      (i) => i.releaseAssets,
      ['dist/*.tgz', 'checksums.txt'],
    ],
    ['provenance off', { provenance: 'false' }, (i) => i.provenance, 'false'],
    ['provenance max', { provenance: 'mode=max' }, (i) => i.provenance, 'mode=max'],
    ['provenance default', {}, (i) => i.provenance, undefined],
    [
      'release label prefixes',
      { 'label-type-prefix': 'release/', 'label-channel-prefix': 'ch/' },
      (i) => i.labels,
      { typePrefix: 'release/', channelPrefix: 'ch/' },
    ],
    [
      'tag scheme',
      { 'image-tag-prefix': 'v', tags: 'sha-{{short}}' },
      (i) => i.tagScheme,
      { imageTagPrefix: 'v', extra: ['sha-{{short}}'] },
    ],
    ['default-bump none', { 'default-bump': 'none' }, (i) => i.defaultBump, 'none'],
    ['initial version', { 'initial-version': 'v1.0.0' }, (i) => i.initialVersion.version, '1.0.0'],
    ['explicit mode', { mode: 'release' }, (i) => i.mode, 'release'],
    ['mode plan', { mode: 'plan' }, (i) => i.mode, 'plan'],
    ['explicit bump', { bump: 'minor' }, (i) => i.bump, 'minor'],
    ['channel rc', { channel: 'rc' }, (i) => i.channel, { kind: 'prerelease', name: 'rc' }],
  ])('%s', (_name, values, pick, expected) => {
    expect(pick(parse(values))).toEqual(expected)
  })
})

describe('refused values name the input, the value and what is accepted', () => {
  test.each<[string, Record<string, string>, RegExp]>([
    [
      'unknown platform',
      { platforms: 'linux/amd64,linux/amd65' },
      /^platforms: linux\/amd65: architecture 'amd65' is unknown; use os\/architecture/,
    ],
    ['platform without os', { platforms: 'arm64' }, /^platforms: arm64: .*os\/architecture/],
    [
      'duplicate platform',
      { platforms: 'linux/arm64,linux/arm64/v8' },
      /^platforms: linux\/arm64\/v8: it is listed twice/,
    ],
    ['empty platforms', { platforms: ' , ' }, /^platforms: .*no platform is listed/],
    [
      'image with a tag',
      { image: 'ghcr.io/acme/app:1.0' },
      /^image: ghcr.io\/acme\/app:1.0: it holds a tag/,
    ],
    [
      'image that stays invalid after lowercasing',
      { image: 'ghcr.io/Acme/-App' },
      /^image: ghcr.io\/Acme\/-App: '-app' is not a valid repository path component \(after lowercasing\); use a repository/,
    ],
    ['image missing', { image: '' }, /^image: : it is required/],
    [
      'malformed version',
      { version: '1.2' },
      /^version: 1.2: '1.2' is not a semantic version; use a semantic version/,
    ],
    [
      'unknown mode',
      { mode: 'deploy' },
      /^mode: deploy: unknown mode; use one of auto, build, release/,
    ],
    [
      'unknown bump',
      { bump: 'huge' },
      /^bump: huge: unknown bump; use one of auto, patch, minor, major/,
    ],
    [
      'channel latest',
      { channel: 'latest' },
      /^channel: latest: .*use auto, stable, or a prerelease channel/,
    ],
    [
      'build arg without =',
      { 'build-args': 'JUSTAKEY' },
      /^build-args: JUSTAKEY: it is not KEY=value/,
    ],
    [
      'smoke-run with a pipe',
      { 'smoke-run': 'app --help | grep usage' },
      /^smoke-run: .*shell operator '\|'.*sh -c/,
    ],
    [
      'smoke-run with a sequence',
      { 'smoke-run': 'app; rm -rf /' },
      /^smoke-run: .*shell operator ';'/,
    ],
    [
      'smoke-http without port',
      { 'smoke-http': '/health' },
      /^smoke-http: \/health: .*not PORT\/PATH/,
    ],
    [
      'smoke-http port out of range',
      { 'smoke-http': '70000/health' },
      /^smoke-http: .*port 70000 is out of range/,
    ],
    [
      'smoke-http-expect bad regex',
      { 'smoke-http': '80', 'smoke-http-expect': '/(/' },
      /^smoke-http-expect: .*not a valid regular expression/,
    ],
    [
      'smoke-http-expect without smoke-http',
      { 'smoke-http-expect': 'ok' },
      /^smoke-http-expect: ok: it is set but smoke-http is not/,
    ],
    [
      'smoke-timeout not a number',
      { 'smoke-timeout': '2m' },
      /^smoke-timeout: 2m: .*whole number of seconds/,
    ],
    ['smoke-timeout zero', { 'smoke-timeout': '0' }, /^smoke-timeout: 0: 0 is out of range/],
    [
      'smoke-timeout bad platform',
      { 'smoke-timeout': '60,linux/x=10' },
      /^smoke-timeout: linux\/x=10: architecture 'x' is unknown/,
    ],
    ['smoke-env without =', { 'smoke-env': 'FOO' }, /^smoke-env: FOO: it is not KEY=value/],
    [
      'provenance gibberish',
      { provenance: 'maybe' },
      /^provenance: maybe: it is not a provenance setting/,
    ],
    [
      'default-bump unknown',
      { 'default-bump': 'tiny' },
      /^default-bump: tiny: unknown bump; use one of patch, minor, major, none/,
    ],
    [
      'tag-prefix with a space',
      { 'tag-prefix': 'release v' },
      /^tag-prefix: release v: it is not usable in a git tag name/,
    ],
    [
      'initial-version a prerelease',
      { 'initial-version': '1.0.0-rc.1' },
      /^initial-version: 1.0.0-rc.1: it is a prerelease; use a stable version/,
    ],
    [
      'initial-version malformed',
      { 'initial-version': 'one' },
      /^initial-version: one: 'one' is not a semantic version/,
    ],
    [
      'image-tag-prefix starting with a dot',
      { 'image-tag-prefix': '.v' },
      /^image-tag-prefix: .v: it cannot start an image tag/,
    ],
    [
      'tags with an unknown placeholder',
      { tags: 'sha-{{short}}\n{{branch}}-latest' },
      /^tags: \{\{branch\}\}-latest: it uses unknown placeholders \{\{branch\}\}; give an extra tag template per line, .*placeholders \{\{version\}\}/,
    ],
    [
      'label prefixes that are the same',
      { 'label-type-prefix': 'release:', 'label-channel-prefix': 'release:' },
      /^label-channel-prefix: release:: it is the same as label-type-prefix/,
    ],
    [
      'rollback without a version',
      { mode: 'rollback' },
      /^version: : mode rollback needs the version to roll back to/,
    ],
    [
      'a platform digest that is not one',
      { 'platform-digests': 'linux/arm64=sha256:abc' },
      /^platform-digests: linux\/arm64=sha256:abc: it is not a digest/,
    ],
    [
      'a builder name with a space',
      { builder: 'my builder' },
      /^builder: my builder: it is not a buildx builder name/,
    ],
    ['sbom gibberish', { sbom: 'yes please' }, /^sbom: yes please: it is not an SBOM setting/],
    [
      'an unknown cache',
      { cache: 's3' },
      /^cache: s3: unknown cache; use one of none, registry, gha/,
    ],
    [
      'a registry user without a password',
      { 'registry-username': 'ci' },
      /^registry-password: : it is empty while the other is set/,
    ],
    ['sign: key without a key', { sign: 'key' }, /^cosign-key: : sign: key needs the private key/],
    [
      'an unknown signing',
      { sign: 'gpg' },
      /^sign: gpg: unknown signing; use none, key or keyless/,
    ],
    [
      'target with spaces',
      { target: 'my stage' },
      /^target: my stage: it is not a build stage name/,
    ],
  ])('%s', (_name, values, expected) => {
    const problems = problemsOf(values)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(expected)
  })

  test('a missing context or Dockerfile is named before any side effect', () => {
    expect(problemsOf({ context: 'nope' }, () => false)).toEqual([
      expect.stringMatching(/^context: nope: the folder does not exist/),
    ])
    expect(problemsOf({ context: 'app' }, (p) => p === 'app')).toEqual([
      expect.stringMatching(/^file: app\/Dockerfile: the Dockerfile does not exist/),
    ])
    expect(problemsOf({ context: 'https://github.com/acme/app.git#main' }, () => false)).toEqual([])
  })

  test('every problem is reported at once', () => {
    const problems = problemsOf({ image: 'A:B', platforms: 'x', version: 'one', mode: '?' })
    expect(problems.map((p) => p.split(':')[0])).toEqual(['mode', 'image', 'platforms', 'version'])
  })
})

describe('the build reads nothing outside the workspace', () => {
  test.each<[string, Record<string, string>, string]>([
    ['an absolute Dockerfile', { file: '/etc/hostname' }, 'file: /etc/hostname'],
    [
      'a Dockerfile that climbs out',
      { file: 'app/../../Dockerfile' },
      'file: app/../../Dockerfile',
    ],
    ['the root as context', { context: '/' }, 'context: /'],
    ['the parent as context', { context: '..' }, 'context: ..'],
    ['a home-relative context', { context: '~/src' }, 'context: ~/src'],
  ])('%s is refused, whether or not it exists', (_name, values, named) => {
    const problems = problemsOf(values, () => true)
    expect(problems).toEqual([
      `${named}: it is outside the workspace; give a path inside the workspace, relative to it; the build reads nothing outside the checkout`,
    ])
  })

  test('a path that only passes through a parent folder stays inside', () => {
    expect(problemsOf({ context: 'app/../web', file: 'web/./Dockerfile' })).toEqual([])
  })

  test('a path the workspace check finds outside (a symlink) is refused like one written so', () => {
    const inputs = (): unknown =>
      parseValues(
        { ...valid, file: 'linked/Dockerfile' },
        { exists: () => true, inside: (path) => !path.startsWith('linked') },
      )
    expect(inputs).toThrow(
      /Input 'file': "linked\/Dockerfile" is not valid; it is outside the workspace/,
    )
  })

  test('a remote context is fetched by buildx and not checked against the workspace', () => {
    expect(problemsOf({ context: 'https://example.test/app.git', file: '/Dockerfile' })).toEqual([])
  })
})
