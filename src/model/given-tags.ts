// The tags input: templates such as sha-{{short}}, and full references as docker/metadata-action's
// tags output writes them (ghcr.io/acme/app:sha-860c190), whose repository must be one of the
// release's. The release's own version and floating tags are never taken from it.
import type { ImageBuild } from './input-types.js'
import { parseImageName, type ImageRepository } from './image-ref.js'
import type { EntryParser, FieldContext } from './input-kinds.js'
import { TEMPLATE_FIELDS, unknownPlaceholders } from './tags.js'

/** One line of the tags input. */
export type GivenTag =
  | { readonly kind: 'template'; readonly template: string }
  | {
      readonly kind: 'reference'
      readonly line: string
      /** The repository, lowercased as the image input is. */
      readonly repository: ImageRepository
      readonly template: string
    }

const PLACEHOLDER = /\{\{[^}]*\}\}/g

/** A tag the release computes itself, from the version and the history: 1.2.3, v1.2, 1, latest. */
const OWN_TAG = /^(?:latest|v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?)$/

const ACCEPTED_TAGS = `give an extra tag template per line, such as sha-{{short}} (placeholders ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')}), or a full reference <repository>:<tag> of one of the release's repositories, as metadata-action's tags output writes it`

/** acme/app and docker.io/acme/app are one repository. */
const sameRepository = (a: ImageRepository, b: ImageRepository): boolean =>
  a.registry === b.registry && a.path === b.path

/** Reads one line: a full reference when it holds / or : outside its placeholders. */
export const givenTag: EntryParser<GivenTag> = (line, report) => {
  const bare = line.replace(PLACEHOLDER, '')
  const unknown = unknownPlaceholders(line)
  if (unknown.length > 0) {
    report(
      line,
      `it uses unknown placeholders ${unknown.map((u) => `{{${u}}}`).join(', ')}`,
      ACCEPTED_TAGS,
    )
    return undefined
  }
  if (!/[/:@]/.test(bare)) return { kind: 'template', template: line }
  const slash = line.lastIndexOf('/')
  const colon = line.indexOf(':', slash + 1)
  if (line.includes('@') || colon < 0) {
    report(line, 'it is a repository without a tag, or with a digest', ACCEPTED_TAGS)
    return undefined
  }
  const name = parseImageName(line.slice(0, colon))
  if (typeof name === 'string') {
    report(line, name, ACCEPTED_TAGS)
    return undefined
  }
  return {
    kind: 'reference',
    line,
    repository: name.repository,
    template: line.slice(colon + 1),
  }
}

/**
 * The extra tag templates of the release. A reference's tag is written to every repository of
 * the release (metadata-action gives each image the same tags); its repository must be one of
 * them. Literal tags the release computes itself (a version, latest) are left out with a notice:
 * those move only forward, from the history.
 */
export function extraTagsOf(
  given: readonly GivenTag[],
  builds: readonly ImageBuild[],
  at: FieldContext,
): string[] {
  const repositories = builds.flatMap((b) => b.repositories)
  const extra: string[] = []
  const own: string[] = []
  for (const tag of given) {
    if (
      tag.kind === 'reference' &&
      repositories.length > 0 &&
      !repositories.some((r) => sameRepository(r, tag.repository))
    ) {
      at.report(
        tag.line,
        `${tag.repository.name} is not a repository of this release (${repositories.map((r) => r.name).join(', ')})`,
        "give references of the image input's repositories only (metadata-action's images and this action's image must name the same ones)",
      )
      continue
    }
    if (OWN_TAG.test(tag.template)) own.push(tag.template)
    else if (!extra.includes(tag.template)) extra.push(tag.template)
  }
  if (own.length > 0) {
    const tags = [...new Set(own)]
    at.notice(
      `${tags.join(', ')} ${tags.length > 1 ? 'are' : 'is'} the release's own version and floating tags (written from the released version, and moved only forward): the given ${tags.length > 1 ? 'ones are' : 'one is'} not used`,
    )
  }
  return extra
}
