import { jest } from '@jest/globals'
import { existsSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { dockerFault } from '../support/docker-fault.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(120_000)

let w: ReleaseWorld
// A docker in front of the real one that records every call; no call may happen here.
const recorder = dockerFault(/^$/, '')

beforeAll(async () => {
  await requireStack()
  w = await releaseWorld('hostile')
})
afterAll(async () => {
  await w.github.close()
})

interface Row {
  readonly inputs?: Record<string, string>
  readonly env?: Record<string, string>
  readonly rawPayload?: string
  /** What the error must say: the input (or variable) named, and why. */
  readonly message: RegExp
}

const many = (n: number, line: string): string => Array.from({ length: n }, () => line).join('\n')

const rows: Record<string, Row> = {
  'an unknown architecture': {
    inputs: { platforms: 'linux/amd65' },
    message: /Input 'platforms'.*architecture 'amd65' is unknown/,
  },
  'a platform without os': {
    inputs: { platforms: 'arm64' },
    message: /Input 'platforms'.*os\/architecture/,
  },
  'a variant arm64 lacks': {
    inputs: { platforms: 'linux/arm64/v7' },
    message: /Input 'platforms'.*variant 'v7' is unknown for arm64/,
  },
  windows: {
    inputs: { platforms: 'windows/amd64' },
    message: /Input 'platforms'.*operating system 'windows'/,
  },
  'a platform with a shell command': {
    inputs: { platforms: 'linux/amd64;rm -rf /' },
    message: /Input 'platforms': "linux\/amd64;rm -rf \/" is not valid/,
  },
  'a platform with a substitution': {
    inputs: { platforms: 'linux/$(id)' },
    message: /Input 'platforms'.*architecture '\$\(id\)' is unknown/,
  },
  'a duplicate platform': {
    inputs: { platforms: 'linux/arm64,linux/aarch64' },
    message: /Input 'platforms'.*listed twice/,
  },
  'only separators': {
    inputs: { platforms: ' , \n ,' },
    message: /Input 'platforms'.*no platform is listed/,
  },
  'sixty-five platforms': {
    inputs: {
      platforms: Array.from({ length: 65 }, (_, i) => `linux/amd64/v${(i % 4) + 1}`).join(','),
    },
    message: /Input 'platforms'/,
  },
  'an image that stays invalid after lowercasing': {
    inputs: { image: '127.0.0.1:5000/Acme/_App' },
    message: /Input 'image'.*'_app' is not a valid repository path component \(after lowercasing\)/,
  },
  'an image with a tag': {
    inputs: { image: '127.0.0.1:5000/acme/app:latest' },
    message: /Input 'image'.*holds a tag/,
  },
  'an image with a digest': {
    inputs: { image: `127.0.0.1:5000/acme/app@sha256:${'a'.repeat(64)}` },
    message: /Input 'image'.*holds a digest/,
  },
  'a repository listed twice': {
    inputs: { image: '127.0.0.1:5000/acme/app\n127.0.0.1:5000/Acme/App' },
    message: /Input 'image'.*listed twice/,
  },
  'an image with a space': {
    inputs: { image: '127.0.0.1:5000/acme/app name' },
    message: /Input 'image'.*not a valid repository path component/,
  },
  'an image that looks like a flag': { inputs: { image: '--push' }, message: /Input 'image'/ },
  'a 300-character image': {
    inputs: { image: `127.0.0.1:5000/${'a'.repeat(300)}` },
    message: /Input 'image'.*longer than 255/,
  },
  'an image with a shell command': {
    inputs: { image: '127.0.0.1:5000/acme/app;touch /tmp/x' },
    message: /Input 'image'/,
  },
  'an image with an empty path component': {
    inputs: { image: '127.0.0.1:5000//app' },
    message: /Input 'image'/,
  },
  'a two-part version': {
    inputs: { version: '1.2' },
    message: /Input 'version'.*not a semantic version/,
  },
  'a four-part version': {
    inputs: { version: 'v1.2.3.4' },
    message: /Input 'version'.*not a semantic version/,
  },
  'latest as a version': { inputs: { version: 'latest' }, message: /Input 'version'/ },
  'build metadata': {
    inputs: { version: '1.2.3+build.7' },
    message: /Input 'version'.*build metadata/,
  },
  'a substitution as a version': { inputs: { version: '$(date)' }, message: /Input 'version'/ },
  'a version beyond any integer': {
    inputs: { version: '99999999999999999999.0.0' },
    message: /Input 'version'/,
  },
  'latest as a channel': { inputs: { channel: 'latest' }, message: /Input 'channel'/ },
  'an uppercase channel': { inputs: { channel: 'RC' }, message: /Input 'channel'/ },
  'a channel with a shell operator': { inputs: { channel: 'rc;x' }, message: /Input 'channel'/ },
  'an unknown mode': {
    inputs: { mode: 'deploy' },
    message: /Input 'mode'.*use one of auto, build, release/,
  },
  'an unknown bump': { inputs: { bump: 'huge' }, message: /Input 'bump'/ },
  'a zero timeout': {
    inputs: { 'smoke-timeout': '0' },
    message: /Input 'smoke-timeout'.*out of range/,
  },
  'a negative timeout': { inputs: { 'smoke-timeout': '-5' }, message: /Input 'smoke-timeout'/ },
  'a timeout in scientific notation': {
    inputs: { 'smoke-timeout': '1e9' },
    message: /Input 'smoke-timeout'/,
  },
  'a timeout with a unit': { inputs: { 'smoke-timeout': '10s' }, message: /Input 'smoke-timeout'/ },
  'a timeout for an unknown platform': {
    inputs: { 'smoke-timeout': '60,linux/amd65=10' },
    message: /Input 'smoke-timeout'.*amd65/,
  },
  'a pipe in smoke-run': {
    inputs: { 'smoke-run': 'app | sh' },
    message: /Input 'smoke-run'.*shell operator '\|'/,
  },
  'a sequence in smoke-run': {
    inputs: { 'smoke-run': 'app; rm -rf /' },
    message: /Input 'smoke-run'.*shell operator ';'/,
  },
  'an and-list in smoke-run': {
    inputs: { 'smoke-run': 'true && touch /tmp/pwned' },
    message: /Input 'smoke-run'.*shell operator '&&'/,
  },
  'a redirection in smoke-run': {
    inputs: { 'smoke-run': 'app > /etc/passwd' },
    message: /Input 'smoke-run'.*shell operator '>'/,
  },
  'a command substitution in smoke-run': {
    inputs: { 'smoke-run': 'echo $(touch /tmp/multiarch-pwned)' },
    message: /Input 'smoke-run'/,
  },
  'a background job in smoke-run': {
    inputs: { 'smoke-run': 'sleep 9 &' },
    message: /Input 'smoke-run'.*shell operator '&'/,
  },
  'sixty-five smoke commands': {
    inputs: { 'smoke-run': many(65, 'true') },
    message: /Input 'smoke-run'.*too many/,
  },
  'a health probe URL': {
    inputs: { 'smoke-http': 'http://evil.example/health' },
    message: /Input 'smoke-http'.*not PORT\/PATH/,
  },
  'a health port out of range': {
    inputs: { 'smoke-http': '99999/health' },
    message: /Input 'smoke-http'.*out of range/,
  },
  'a space in the health path': {
    inputs: { 'smoke-http': '8080 /health' },
    message: /Input 'smoke-http'/,
  },
  'an invalid expectation regex': {
    inputs: { 'smoke-http': '8080', 'smoke-http-expect': '/(/' },
    message: /Input 'smoke-http-expect'/,
  },
  'a smoke-env line without =': {
    inputs: { 'smoke-env': 'NOEQUALS' },
    message: /Input 'smoke-env'/,
  },
  'a smoke-env name starting with a digit': {
    inputs: { 'smoke-env': '1BAD=x' },
    message: /Input 'smoke-env'/,
  },
  'a build arg without a name': {
    inputs: { 'build-args': '=value' },
    message: /Input 'build-args'/,
  },
  'a 70,000-character build arg': {
    inputs: { 'build-args': `A=${'x'.repeat(70_000)}` },
    message: /Input 'build-args'.*characters long/,
  },
  'an asset glob climbing out': {
    inputs: { 'release-assets': '../../etc/passwd' },
    message: /Input 'release-assets'.*outside the workspace/,
  },
  'an absolute asset path': {
    inputs: { 'release-assets': '/etc/passwd' },
    message: /Input 'release-assets'.*outside the workspace/,
  },
  'an asset glob from home': {
    inputs: { 'release-assets': '~/.ssh/*' },
    message: /Input 'release-assets'.*outside the workspace/,
  },
  'an unknown tag placeholder': {
    inputs: { tags: '{{env.SECRET}}' },
    message: /Input 'tags'.*unknown placeholders/,
  },
  'a label prefix with a newline': {
    inputs: { 'label-type-prefix': 'type:\nchannel:' },
    message: /Input 'label-type-prefix'.*white space/,
  },
  'an image tag prefix starting with a dash': {
    inputs: { 'image-tag-prefix': '-v' },
    message: /Input 'image-tag-prefix'/,
  },
  'a prerelease initial version': {
    inputs: { 'initial-version': '1.0.0-rc.1' },
    message: /Input 'initial-version'.*prerelease/,
  },
  'a tag prefix with a shell operator': {
    inputs: { 'tag-prefix': 'v;rm' },
    message: /Input 'tag-prefix'/,
  },
  'a provenance setting that is not one': {
    inputs: { provenance: 'maybe' },
    message: /Input 'provenance'/,
  },
  'a Dockerfile outside the checkout that does not exist': {
    inputs: { file: '../outside/Dockerfile' },
    message: /Input 'file'.*it is outside the workspace/,
  },
  'a Dockerfile outside the checkout that exists': {
    inputs: { file: '/etc/hostname' },
    message: /Input 'file': "\/etc\/hostname" is not valid; it is outside the workspace/,
  },
  'the root folder as the build context': {
    inputs: { context: '/' },
    message: /Input 'context': "\/" is not valid; it is outside the workspace/,
  },
  "the checkout's parent as the build context": {
    inputs: { context: '..' },
    message: /Input 'context': "\.\." is not valid; it is outside the workspace/,
  },
  'a context that does not exist': {
    inputs: { context: 'missing/context' },
    message: /Input 'context'.*does not exist/,
  },
  'an event payload that is not JSON': {
    rawPayload: '{"workflow_run": ',
    message: /GITHUB_EVENT_PATH .* could not be read as JSON/,
  },
  'a repository that is not owner/name': {
    env: { GITHUB_REPOSITORY: 'acme/app/../../other' },
    message: /GITHUB_REPOSITORY .* is not owner\/name/,
  },
}

test.each(Object.entries(rows))(
  '%s fails before any build, push or API call, naming the input',
  async (_name, row) => {
    w.github.clearRequests()
    const run = await w.run(
      { version: '1.0.0', ...row.inputs },
      {
        env: { ...recorder.env, ...row.env },
        ...(row.rawPayload !== undefined ? { rawPayload: row.rawPayload } : {}),
      },
    )
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(row.message)
    expect(existsSync(recorder.log)).toBe(false)
    expect(w.github.requests).toEqual([])
    expect(existsSync('/tmp/multiarch-pwned')).toBe(false)
  },
)

test('a symlinked Dockerfile that leads outside the checkout is refused before any build', async () => {
  symlinkSync('/etc', join(w.repo.dir, 'elsewhere'))
  const run = await w.run({ version: '1.0.0', file: 'elsewhere/hostname' }, { env: recorder.env })
  expect(run.exitCode).toBe(1)
  expect(run.errors.join('\n')).toMatch(
    /Input 'file': "elsewhere\/hostname" is not valid; it is outside the workspace/,
  )
  expect(existsSync(recorder.log)).toBe(false)
  expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
})

test('a symlink in the workspace cannot smuggle a file from outside into the Release', async () => {
  symlinkSync('/etc/hostname', join(w.repo.dir, 'hostname.txt'))
  const run = await w.run({ version: '1.0.0', 'release-assets': '*.txt' }, { env: recorder.env })
  expect(run.exitCode).toBe(1)
  expect(run.errors.join('\n')).toMatch(
    /release-assets: .*hostname.txt leads outside the workspace/,
  )
  expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
})
