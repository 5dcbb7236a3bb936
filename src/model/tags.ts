import semver from 'semver'
import type { FloatingLine } from './history.js'
import { isValidTag } from './image-ref.js'
import { floatingTag, type Channel } from './version.js'

/**
 * An image tag of a release. A version tag never moves; an extra tag (from the tags input) is
 * written as given; a floating tag (1.2, 1, latest, rc) points at the highest version of its
 * line, never backwards.
 */
export type FinalTag =
  | { readonly tag: string; readonly kind: 'version' | 'extra' }
  | { readonly tag: string; readonly kind: 'floating'; readonly line: FloatingLine }

export interface TagScheme {
  /** Put before the version-derived tags: 'v' gives v1.2.3, v1.2, v1. */
  readonly imageTagPrefix: string
  /** Templates of extra tags, such as sha-{{short}}. */
  readonly extra: readonly string[]
}

export const TEMPLATE_FIELDS = [
  'version',
  'major',
  'minor',
  'patch',
  'channel',
  'sha',
  'short',
] as const

/** The placeholders of a template that are not known, e.g. {{branch}}. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(TEMPLATE_FIELDS as readonly string[]).includes(name))
}

export function renderTemplate(
  template: string,
  fields: Record<(typeof TEMPLATE_FIELDS)[number], string>,
): string {
  return template.replace(
    /\{\{\s*([^}]*?)\s*\}\}/g,
    (_all, name: string) => fields[name as keyof typeof fields],
  )
}

/**
 * The image tags of a release, in promotion order: the version tag, the extra tags, then the
 * floating tags from the narrowest to the widest (stable: 1.2, 1, latest; a prerelease channel:
 * its name). A maintenance branch never writes latest. Returns why a rendered tag is invalid
 * instead.
 */
/** The values of a release's template placeholders ({{version}}, {{short}}, …). */
export function templateFields(
  version: string,
  channel: Channel,
  commit: string,
): Record<(typeof TEMPLATE_FIELDS)[number], string> {
  const v = new semver.SemVer(version)
  return {
    version,
    major: String(v.major),
    minor: String(v.minor),
    patch: String(v.patch),
    channel: channel.kind === 'stable' ? 'stable' : channel.name,
    sha: commit,
    short: commit.slice(0, 7),
  }
}

export function finalTags(
  version: string,
  channel: Channel,
  scheme: TagScheme = { imageTagPrefix: '', extra: [] },
  commit = '',
  options: { maintenance?: boolean } = {},
): FinalTag[] | string {
  const v = new semver.SemVer(version)
  const fields = templateFields(version, channel, commit)
  const p = scheme.imageTagPrefix
  const tags: FinalTag[] = [{ tag: `${p}${version}`, kind: 'version' }]
  for (const template of scheme.extra)
    tags.push({ tag: renderTemplate(template, fields), kind: 'extra' })
  if (channel.kind === 'stable') {
    tags.push(
      {
        tag: `${p}${v.major}.${v.minor}`,
        kind: 'floating',
        line: { kind: 'minor', major: v.major, minor: v.minor },
      },
      { tag: `${p}${v.major}`, kind: 'floating', line: { kind: 'major', major: v.major } },
    )
    if (options.maintenance !== true)
      tags.push({ tag: floatingTag(channel), kind: 'floating', line: { kind: 'stable' } })
  } else {
    tags.push({
      tag: floatingTag(channel),
      kind: 'floating',
      line: { kind: 'channel', name: channel.name },
    })
  }
  const invalid = tags.find((t) => !isValidTag(t.tag))
  if (invalid)
    return `the image tag '${invalid.tag}' is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`
  // An extra tag that is also a version or floating tag is that one: never written backwards.
  const computed = new Set(tags.filter((t) => t.kind !== 'extra').map((t) => t.tag))
  const seen = new Set<string>()
  return tags.filter((t) =>
    (t.kind === 'extra' && computed.has(t.tag)) || seen.has(t.tag)
      ? false
      : (seen.add(t.tag), true),
  )
}
