import {
  parseChannel,
  parseVersion,
  resolveVersion,
  floatingTag,
  type ChannelInput,
  type Bump,
} from '../../src/model/version.js'

const v = (text: string) => {
  const parsed = parseVersion(text)
  if (typeof parsed === 'string') throw new Error(parsed)
  return parsed
}

describe('parseVersion', () => {
  test.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['V2.0.0-rc.1', '2.0.0-rc.1'],
    [' 0.1.0 ', '0.1.0'],
  ])('%j is %s', (text, version) => {
    expect(v(text).version).toBe(version)
  })
  test.each([
    ['1.2', /not a semantic version/],
    ['latest', /not a semantic version/],
    ['1.2.3.4', /not a semantic version/],
    ['01.2.3', /not a semantic version/],
    ['1.2.3+build.5', /build metadata/],
    ['vv1.2.3', /not a semantic version/],
  ])('%j is refused', (text, reason) => {
    expect(parseVersion(text)).toEqual(expect.stringMatching(reason))
  })
})

describe('parseChannel', () => {
  test.each([
    ['', { kind: 'auto' }],
    ['auto', { kind: 'auto' }],
    ['stable', { kind: 'stable' }],
    ['rc', { kind: 'prerelease', name: 'rc' }],
    ['beta2', { kind: 'prerelease', name: 'beta2' }],
  ])('%j is %j', (text, channel) => {
    expect(parseChannel(text)).toEqual(channel)
  })
  test.each(['latest', 'RC', '1rc', 'r-c', 'candidate'])('%j is refused', (text) => {
    expect(typeof parseChannel(text)).toBe('string')
  })
})

describe('resolveVersion', () => {
  const stable: ChannelInput = { kind: 'stable' }
  const auto: ChannelInput = { kind: 'auto' }
  const rc: ChannelInput = { kind: 'prerelease', name: 'rc' }
  test.each<[string, ChannelInput, Bump, string[], string, string]>([
    ['first release', auto, 'patch', [], '0.1.0', 'latest'],
    [
      'first release is the initial version, whatever the bump',
      auto,
      'major',
      [],
      '0.1.0',
      'latest',
    ],
    [
      "the issue's example: minor rc after v1.4.2 and v1.5.0-rc.1",
      rc,
      'minor',
      ['v1.4.2', 'v1.5.0-rc.1'],
      '1.5.0-rc.2',
      'rc',
    ],
    ['first rc', rc, 'patch', [], '0.1.0-rc.1', 'rc'],
    ['patch after 1.2.3', auto, 'patch', ['v1.2.3', 'v1.2.2'], '1.2.4', 'latest'],
    ['minor after 1.2.3', stable, 'minor', ['v1.2.3'], '1.3.0', 'latest'],
    ['major after 1.2.3', stable, 'major', ['v1.2.3'], '2.0.0', 'latest'],
    [
      'ignores unrelated tags',
      auto,
      'patch',
      ['nightly', 'v1.0.0', 'release-7'],
      '1.0.1',
      'latest',
    ],
    ['first rc of the next minor', rc, 'minor', ['v1.2.3'], '1.3.0-rc.1', 'rc'],
    [
      'next rc on an open line',
      rc,
      'minor',
      ['v1.2.3', 'v1.3.0-rc.1', 'v1.3.0-rc.2'],
      '1.3.0-rc.3',
      'rc',
    ],
    ['stable closes the rc line', stable, 'minor', ['v1.2.3', 'v1.3.0-rc.2'], '1.3.0', 'latest'],
    ['rc after the line was released', rc, 'patch', ['v1.3.0', 'v1.3.0-rc.2'], '1.3.1-rc.1', 'rc'],
    [
      'beta channel beside rc',
      { kind: 'prerelease', name: 'beta' },
      'major',
      ['v1.3.0', 'v2.0.0-rc.1'],
      '2.0.0-beta.1',
      'beta',
    ],
  ])('%s', (_name, channel, bump, tags, version, floating) => {
    const resolved = resolveVersion({
      channel,
      bump,
      released: tags.flatMap((t) => (typeof parseVersion(t) === 'string' ? [] : [v(t)])),
    })
    if (typeof resolved === 'string') throw new Error(resolved)
    expect(resolved.version.version).toBe(version)
    expect(floatingTag(resolved.channel)).toBe(floating)
  })

  test.each<[string, ChannelInput, string[], string]>([
    ['a re-run of a released commit keeps its version', auto, ['v1.4.0@C', 'v1.5.0@C'], '1.5.0'],
    ['a re-run of an rc commit keeps its rc', rc, ['v1.4.0', 'v1.5.0-rc.1@C'], '1.5.0-rc.1'],
    [
      'a stable release of an rc commit is a new stable version',
      stable,
      ['v1.4.0', 'v1.5.0-rc.1@C'],
      '1.4.1',
    ],
    ['another commit is bumped', auto, ['v1.4.0@B'], '1.4.1'],
  ])('%s', (_name, channel, tags, version) => {
    const released = tags.map((t) => {
      const [name = '', commit] = t.split('@')
      return { version: v(name), ...(commit ? { commit } : {}) }
    })
    const resolved = resolveVersion({ channel, bump: 'patch', released, commit: 'C' })
    expect(typeof resolved === 'string' ? resolved : resolved.version.version).toBe(version)
  })

  test('a custom initial version', () => {
    const resolved = resolveVersion({
      channel: auto,
      bump: 'minor',
      released: [],
      initial: v('1.0.0'),
    })
    expect(typeof resolved === 'string' ? resolved : resolved.version.version).toBe('1.0.0')
  })

  test.each<[string, ChannelInput, string, string | RegExp]>([
    ['explicit stable', auto, '2.0.0', '2.0.0'],
    ['explicit rc on auto', auto, '2.0.0-rc.4', '2.0.0-rc.4'],
    ['explicit rc on rc', rc, '2.0.0-rc.4', '2.0.0-rc.4'],
    ['explicit stable on rc', rc, '2.0.0', /belongs to channel 'stable', not to the channel 'rc'/],
    ['explicit rc on stable', stable, '2.0.0-rc.1', /belongs to channel 'rc'/],
  ])('%s', (_name, channel, explicit, expected) => {
    const resolved = resolveVersion({ explicit: v(explicit), channel, bump: 'patch', released: [] })
    if (typeof expected === 'string') {
      expect(typeof resolved === 'string' ? resolved : resolved.version.version).toBe(expected)
    } else {
      expect(resolved).toEqual(expect.stringMatching(expected))
    }
  })
})
