import {
  formatPlatform,
  parsePlatform,
  samePlatform,
  unameMachine,
} from '../../src/model/platform.js'

describe('parsePlatform', () => {
  test.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/x86_64', 'linux/amd64'],
    [' Linux/AMD64 ', 'linux/amd64'],
    ['linux/arm/v7', 'linux/arm'],
    ['linux/arm', 'linux/arm'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/riscv64', 'linux/riscv64'],
    ['linux/386', 'linux/386'],
  ])('%s is %s', (text, expected) => {
    const parsed = parsePlatform(text)
    expect(typeof parsed).toBe('object')
    expect(formatPlatform(parsed as Exclude<typeof parsed, string>)).toBe(expected)
  })

  test.each([
    ['amd64', /os\/architecture/],
    ['linux', /os\/architecture/],
    ['linux/amd65', /architecture 'amd65' is unknown/],
    ['windows/amd64', /operating system 'windows'/],
    ['linux/arm64/v7', /variant 'v7' is unknown for arm64/],
    ['linux//amd64', /os\/architecture/],
    ['linux/amd64/v2/x', /os\/architecture/],
    ['', /os\/architecture/],
  ])('%j is refused', (text, reason) => {
    expect(parsePlatform(text)).toEqual(expect.stringMatching(reason))
  })
})

describe('samePlatform and unameMachine', () => {
  test.each([
    [
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 'arm64' },
      true,
    ],
    [
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      { os: 'linux', architecture: 'arm' },
      true,
    ],
    [
      { os: 'linux', architecture: 'arm', variant: 'v6' },
      { os: 'linux', architecture: 'arm' },
      false,
    ],
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }, false],
  ])('%j = %j is %s', (a, b, same) => {
    expect(samePlatform(a, b)).toBe(same)
  })

  test.each([
    ['linux/amd64', 'x86_64'],
    ['linux/arm64', 'aarch64'],
    ['linux/arm/v7', 'armv7l'],
    ['linux/arm/v6', 'armv6l'],
    ['linux/riscv64', 'riscv64'],
  ])('%s reports uname -m %s', (text, machine) => {
    expect(
      unameMachine(parsePlatform(text) as Exclude<ReturnType<typeof parsePlatform>, string>),
    ).toBe(machine)
  })
})
