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

/** A version already tagged in the repository, with the commit its tag points at. */
export interface ReleasedVersion {
  readonly version: semver.SemVer
  readonly commit?: string
}

export interface VersionRequest {
  explicit?: semver.SemVer
  channel: ChannelInput
  bump: Bump
  /** Versions already tagged in the repository, in any order. */
  released: readonly (semver.SemVer | ReleasedVersion)[]
  /** The commit being released: a version already tagged on it is released again, not bumped. */
  commit?: string
  /** The first stable version, when none is tagged yet. */
  initial?: semver.SemVer
}

export interface ResolvedVersion {
  version: semver.SemVer
  channel: Channel
}

const asReleased = (v: semver.SemVer | ReleasedVersion): ReleasedVersion =>
  v instanceof semver.SemVer ? { version: v } : v

/**
 * The version to release. An explicit version wins and sets the channel (a prerelease version
 * must belong to the channel asked for). A commit that already carries a version of the channel
 * keeps it (a re-run). Otherwise X.Y.Z is the highest stable version bumped (or the initial
 * version when there is none), and a prerelease channel numbers X.Y.Z-<channel>.N upwards.
 */
export function resolveVersion(request: VersionRequest): ResolvedVersion | string {
  const { explicit, channel, bump } = request
  if (explicit !== undefined) {
    const own = channelOfVersion(explicit)
    if (channel.kind !== 'auto' && channelName(channel) !== channelName(own)) {
      return `version ${explicit.version} belongs to channel '${channelName(own)}', not to the channel '${channelName(channel)}' asked for`
    }
    return { version: explicit, channel: own }
  }
  const target: Channel = channel.kind === 'auto' ? { kind: 'stable' } : channel
  const released = request.released.map(asReleased)
  const onCommit = semver
    .rsort(
      released
        .filter((r) => request.commit !== undefined && r.commit === request.commit)
        .filter((r) => channelName(channelOfVersion(r.version)) === channelName(target))
        .map((r) => r.version),
    )
    .at(0)
  if (onCommit !== undefined) return { version: onCommit, channel: target }
  const stable = released.map((r) => r.version).filter((v) => v.prerelease.length === 0)
  const highestStable = semver.rsort([...stable])[0]
  const initial = request.initial ?? new semver.SemVer('0.1.0')
  const next =
    highestStable === undefined
      ? initial
      : new semver.SemVer(semver.inc(highestStable, bump) ?? initial.version)
  if (target.kind === 'stable') return { version: next, channel: target }
  const numbers = released
    .map((r) => r.version)
    .filter(
      (v) =>
        v.major === next.major &&
        v.minor === next.minor &&
        v.patch === next.patch &&
        v.prerelease[0] === target.name,
    )
    .map((v) => (typeof v.prerelease[1] === 'number' ? v.prerelease[1] : 0))
  const n = numbers.length === 0 ? 1 : Math.max(...numbers) + 1
  return { version: new semver.SemVer(`${next.version}-${target.name}.${n}`), channel: target }
}
