import semver from 'semver'

export type Bump = 'patch' | 'minor' | 'major'
export type BumpInput = 'auto' | Bump
/** stable, or a prerelease channel such as rc or beta. */
export type Channel = { kind: 'stable' } | { kind: 'prerelease'; name: string }
export type ChannelInput = { kind: 'auto' } | Channel

const CHANNEL_NAME = /^[a-z][a-z0-9]{0,19}$/
const RESERVED_CHANNELS = ['auto', 'latest', 'stable', 'candidate', 'buildcache']

export const ACCEPTED_VERSION =
  'use a semantic version MAJOR.MINOR.PATCH with an optional prerelease, with or without a leading v, for example 1.4.0, v2.0.0-rc.1'
export const ACCEPTED_CHANNEL =
  "use auto, stable, or a prerelease channel name of lowercase letters and digits starting with a letter, for example rc or beta (not 'latest')"

/** Parses a version given by a user (leading v allowed); returns why it is not one instead. */
export function parseVersion(text: string): semver.SemVer | string {
  const trimmed = text.trim()
  const bare = trimmed.startsWith('v') || trimmed.startsWith('V') ? trimmed.slice(1) : trimmed
  // semver.parse itself tolerates a leading v; after ours is gone a digit must come first.
  const parsed = /^\d/.test(bare) ? semver.parse(bare) : null
  if (parsed === null) return `'${text}' is not a semantic version`
  if (parsed.build.length > 0) {
    return `build metadata ('+${parsed.build.join('.')}') cannot be part of an image tag`
  }
  return parsed
}

export function parseChannel(text: string): ChannelInput | string {
  const name = text.trim()
  if (name === '' || name === 'auto') return { kind: 'auto' }
  if (name === 'stable') return { kind: 'stable' }
  if (!CHANNEL_NAME.test(name) || RESERVED_CHANNELS.includes(name)) {
    return `'${text}' is not a channel name`
  }
  return { kind: 'prerelease', name }
}

export function channelOfVersion(version: semver.SemVer): Channel {
  const first = version.prerelease[0]
  if (first === undefined) return { kind: 'stable' }
  return { kind: 'prerelease', name: typeof first === 'string' ? first : 'pre' }
}

export function channelName(channel: Channel): string {
  return channel.kind === 'stable' ? 'stable' : channel.name
}

/** The tag that always points at a channel's newest release: latest for stable. */
export function floatingTag(channel: Channel): string {
  return channel.kind === 'stable' ? 'latest' : channel.name
}

export interface VersionRequest {
  explicit?: semver.SemVer
  channel: ChannelInput
  bump: Bump
  /** Versions already released (from the repository's tags), in any order. */
  released: readonly semver.SemVer[]
}

export interface ResolvedVersion {
  version: semver.SemVer
  channel: Channel
}

/**
 * The version to release. An explicit version wins and sets the channel (a prerelease version
 * must belong to the channel asked for); otherwise the next version after the highest released
 * one, bumped, and numbered within the channel (1.3.0-rc.1, 1.3.0-rc.2, then 1.3.0).
 */
export function resolveVersion(request: VersionRequest): ResolvedVersion | string {
  const { explicit, channel, bump, released } = request
  if (explicit !== undefined) {
    const own = channelOfVersion(explicit)
    if (channel.kind !== 'auto' && channelName(channel) !== channelName(own)) {
      return `version ${explicit.version} belongs to channel '${channelName(own)}', not to the channel '${channelName(channel)}' asked for`
    }
    return { version: explicit, channel: own }
  }
  const stable = released.filter((v) => v.prerelease.length === 0)
  const highestStable = semver.rsort([...stable])[0] ?? new semver.SemVer('0.0.0')
  // A project's first release is 0.1.0 (1.0.0 when a major bump is asked for), as most tools do.
  const first = bump === 'major' ? '1.0.0' : '0.1.0'
  const next = new semver.SemVer(
    stable.length === 0 ? first : (semver.inc(highestStable, bump) ?? first),
  )
  const target: Channel = channel.kind === 'auto' ? { kind: 'stable' } : channel
  if (target.kind === 'stable') return { version: next, channel: target }
  // Keep numbering the current prerelease line when one is open above the last stable release.
  const open = semver
    .rsort(
      released.filter(
        (v) => channelName(channelOfVersion(v)) === target.name && semver.gt(v, highestStable),
      ),
    )
    .at(0)
  const base =
    open !== undefined ? new semver.SemVer(`${open.major}.${open.minor}.${open.patch}`) : next
  const sameLine = released.filter(
    (v) =>
      v.major === base.major &&
      v.minor === base.minor &&
      v.patch === base.patch &&
      channelName(channelOfVersion(v)) === target.name,
  )
  const numbers = sameLine.map((v) => (typeof v.prerelease[1] === 'number' ? v.prerelease[1] : 0))
  const n = numbers.length === 0 ? 1 : Math.max(...numbers) + 1
  return { version: new semver.SemVer(`${base.version}-${target.name}.${n}`), channel: target }
}

/** Parses version-like git tags (v1.2.3, 1.2.3-rc.1), ignoring every other tag. */
export function releasedVersions(tags: readonly string[]): semver.SemVer[] {
  return tags.flatMap((tag) => {
    const parsed = parseVersion(tag)
    return typeof parsed === 'string' ? [] : [parsed]
  })
}
