import semver from 'semver'
import type { Channel } from './version.js'
import { parseVersion } from './version.js'

/**
 * The versions among which a floating tag points at the highest: `latest` all stable versions,
 * `1` the stable 1.x.y, `1.4` the stable 1.4.y, a channel's tag (`rc`) that channel's prereleases.
 */
export type FloatingLine =
  | { readonly kind: 'stable' }
  | { readonly kind: 'major'; readonly major: number }
  | { readonly kind: 'minor'; readonly major: number; readonly minor: number }
  | { readonly kind: 'channel'; readonly name: string }

export function inLine(line: FloatingLine, version: semver.SemVer): boolean {
  const stable = version.prerelease.length === 0
  switch (line.kind) {
    case 'stable':
      return stable
    case 'major':
      return stable && version.major === line.major
    case 'minor':
      return stable && version.major === line.major && version.minor === line.minor
    case 'channel':
      return version.prerelease[0] === line.name
  }
}

export function describeLine(line: FloatingLine): string {
  switch (line.kind) {
    case 'stable':
      return 'stable versions'
    case 'major':
      return `the ${line.major}.x line`
    case 'minor':
      return `the ${line.major}.${line.minor}.x line`
    case 'channel':
      return `the ${line.name} channel`
  }
}

/**
 * The versions the repository has released: its version tags and its published Releases,
 * read through the API. Names that are not versions are ignored.
 */
export function releasedVersions(
  tagPrefix: string,
  ...names: readonly (readonly string[])[]
): semver.SemVer[] {
  const seen = new Map<string, semver.SemVer>()
  for (const name of names.flat()) {
    if (!name.startsWith(tagPrefix)) continue
    const parsed = parseVersion(name.slice(tagPrefix.length))
    if (typeof parsed !== 'string') seen.set(parsed.version, parsed)
  }
  return semver.rsort([...seen.values()])
}

export function highestInLine(
  line: FloatingLine,
  versions: readonly semver.SemVer[],
): semver.SemVer | undefined {
  return semver.rsort(versions.filter((v) => inLine(line, v)))[0]
}

/** What promotion does with a floating tag that does not point at this run's digest yet. */
export type FloatingDecision =
  | { readonly move: true; readonly note?: string }
  | { readonly move: false; readonly reason: string }

/**
 * A floating tag moves only to the highest version of its line: never below the version the
 * image under it shows, and never below a version of the line the repository has released.
 * An image whose version cannot be read is judged by the history alone.
 */
export function decideFloating(
  line: FloatingLine,
  version: semver.SemVer,
  shown: semver.SemVer | undefined,
  history: readonly semver.SemVer[],
): FloatingDecision {
  if (shown !== undefined && semver.gt(shown, version))
    return {
      move: false,
      reason: `it shows ${shown.version}, which is newer than ${version.version}`,
    }
  const highest = highestInLine(line, history)
  if (highest !== undefined && semver.gt(highest, version)) {
    return {
      move: false,
      reason: `${highest.version} is released and is the highest of ${describeLine(line)}; ${version.version} is not`,
    }
  }
  return { move: true }
}

/**
 * Whether the Release becomes GitHub's Latest: a stable version that no released stable version
 * exceeds, and never from a maintenance branch.
 */
export function decideLatest(
  version: semver.SemVer,
  channel: Channel,
  history: readonly semver.SemVer[],
  maintenance: string | undefined,
): { readonly latest: boolean; readonly reason: string } {
  if (channel.kind !== 'stable')
    return { latest: false, reason: `${version.version} is a prerelease` }
  if (maintenance !== undefined) {
    return {
      latest: false,
      reason: `it is released from the maintenance branch ${maintenance}`,
    }
  }
  const highest = highestInLine({ kind: 'stable' }, history)
  if (highest !== undefined && semver.gt(highest, version)) {
    return {
      latest: false,
      reason: `${highest.version} is released and is higher than ${version.version}`,
    }
  }
  return { latest: true, reason: `${version.version} is the highest stable version` }
}
