import semver from 'semver'
import type { FinalTag } from '../context.js'
import { floatingTag, type Channel } from './version.js'

/** The image tags of a release: the version tag first, the channel's floating tag last. */
export function finalTags(version: string, channel: Channel): FinalTag[] {
  return [
    { tag: version, floating: false },
    { tag: floatingTag(channel), floating: true },
  ]
}

/**
 * Whether a floating tag may move from the version it shows now to the one being released:
 * never backwards. A tag whose current version cannot be read is moved.
 */
export function floatingMayMove(current: string | undefined, next: string): boolean {
  if (current === undefined) return true
  const parsed = semver.parse(current.replace(/^v/, ''))
  return parsed === null || semver.gte(next, parsed)
}
