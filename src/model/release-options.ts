// The Release options softprops/action-gh-release users expect: its name, a body file, keeping it
// a draft, a discussion category and an explicit make-latest; and the rules that span them.
import type { InputName } from './action-inputs.generated.js'
import { boolean, oneOf, optional, type FieldContext, type InputSpec } from './input-kinds.js'
import { TEMPLATE_FIELDS, renderTemplate, unknownPlaceholders } from './tags.js'
import type { ChannelInput } from './version.js'
import type semver from 'semver'

/** auto: GitHub's Latest from the history (the highest stable version); true or false: as given. */
export type MakeLatest = 'auto' | 'true' | 'false'

export interface ReleaseOptions {
  /** The Release's title, a template such as App {{version}}; undefined: the git tag (v1.2.3). */
  readonly name: string | undefined
  /** A file in the workspace whose text is the Release's notes, read when the draft is written. */
  readonly bodyPath: string | undefined
  /** Leave the Release a draft for a person to publish; the images are released all the same. */
  readonly draft: boolean
  /** A discussion category of the repository: publishing opens a discussion of the Release in it. */
  readonly discussionCategory: string | undefined
  readonly makeLatest: MakeLatest
}

/** One line, no control characters: a title or a category name. */
const ONE_LINE = /^[^\p{Cc}]+$/u

const releaseName: InputSpec<string | undefined> = optional({
  kind: 'text',
  parse: (value, { report }) => {
    const name = value.trim()
    const unknown = unknownPlaceholders(name)
    if (!ONE_LINE.test(name) || name.length > 1024) {
      report(
        name.slice(0, 80),
        'it is not one line of text',
        'give a title such as App {{version}}',
      )
    } else if (unknown.length > 0) {
      report(
        name,
        `it uses unknown placeholders ${unknown.map((u) => `{{${u}}}`).join(', ')}`,
        `use ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')}`,
      )
    } else return name
    return undefined
  },
})

const bodyPath: InputSpec<string | undefined> = optional({
  kind: 'text',
  parse: (value, { report, exists }) => {
    const path = value.trim()
    const accepted = 'give a file relative to the workspace, such as CHANGELOG-release.md'
    if (path.startsWith('/') || path.startsWith('~') || path.split(/[\\/]/).includes('..'))
      report(path, 'it is outside the workspace', accepted)
    else if (!exists(path)) report(path, 'the file does not exist', accepted)
    else return path
    return undefined
  },
})

const discussionCategory: InputSpec<string | undefined> = optional({
  kind: 'text',
  parse: (value, { report }) => {
    const category = value.trim()
    if (ONE_LINE.test(category) && category.length <= 256) return category
    report(
      category.slice(0, 80),
      'it is not a category name',
      'give the name of a discussion category of the repository, such as Announcements',
    )
    return undefined
  },
})

export const RELEASE_OPTION_INPUTS = {
  'release-name': releaseName,
  'release-body-path': bodyPath,
  'release-draft': boolean(),
  'discussion-category': discussionCategory,
  'make-latest': oneOf<MakeLatest>(['auto', 'true', 'false'], 'make-latest'),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>

type ReleaseOptionValues = {
  readonly [K in keyof typeof RELEASE_OPTION_INPUTS]: ReturnType<
    (typeof RELEASE_OPTION_INPUTS)[K]['parse']
  >
}

/** The options, and the rules that span them and the inputs they meet. */
export function releaseOptionsOf(
  values: ReleaseOptionValues & {
    readonly 'release-notes': string | undefined
    readonly channel: ChannelInput | undefined
    readonly version: semver.SemVer | undefined
  },
  at: (input: string) => FieldContext,
): ReleaseOptions {
  const makeLatest = values['make-latest'] ?? 'auto'
  const draft = values['release-draft'] ?? false
  if (values['release-body-path'] !== undefined && values['release-notes'] !== undefined) {
    at('release-body-path').report(
      values['release-body-path'],
      'it is set together with release-notes',
      'give the notes in one of them',
    )
  }
  if (draft && makeLatest !== 'auto') {
    at('make-latest').report(
      makeLatest,
      'release-draft keeps the Release a draft, and GitHub makes no draft Latest',
      'leave make-latest at auto: whoever publishes the draft decides',
    )
  }
  const prerelease =
    values.channel?.kind === 'prerelease' ||
    (values.version !== undefined && values.version.prerelease.length > 0)
  if (makeLatest === 'true' && prerelease) {
    at('make-latest').report(
      makeLatest,
      'the release is a prerelease, and GitHub makes no prerelease Latest',
      'leave make-latest at auto, or release a stable version',
    )
  }
  return {
    name: values['release-name'],
    bodyPath: values['release-body-path'],
    draft,
    discussionCategory: values['discussion-category'],
    makeLatest,
  }
}

/** The Release's title: the release-name template rendered, or the git tag. */
export function releaseTitle(
  options: Pick<ReleaseOptions, 'name'>,
  gitTag: string,
  fields: Record<(typeof TEMPLATE_FIELDS)[number], string>,
): string {
  return options.name === undefined ? gitTag : renderTemplate(options.name, fields)
}

/**
 * Whether the Release becomes GitHub's Latest: the history's decision, unless make-latest says
 * otherwise where GitHub allows it (never a prerelease; a draft is never published here).
 */
export function latestDecision(
  makeLatest: MakeLatest,
  history: { readonly latest: boolean; readonly reason: string },
  prerelease: boolean,
): { readonly latest: boolean; readonly reason: string } {
  if (makeLatest === 'auto' || makeLatest === String(history.latest)) return history
  if (makeLatest === 'false') return { latest: false, reason: 'make-latest is false' }
  if (prerelease)
    return { latest: false, reason: `GitHub makes no prerelease Latest (${history.reason})` }
  return { latest: true, reason: `make-latest is true (the history alone: ${history.reason})` }
}
