/** Marks the section this action writes into a Release body, so a re-run can find and replace it. */
export const IMAGE_SECTION_MARKER = '<!-- multiarch-release:image -->'

export interface ImageSection {
  /** The component's name, shown when the release has several images. */
  readonly name: string
  readonly image: string
  readonly version: string
  readonly digest: string
  readonly platforms: readonly string[]
  /** Every repository it is released to, the first being image; listed when there are several. */
  readonly repositories?: readonly string[]
  readonly tags: readonly string[]
}

function renderImage(section: ImageSection): string[] {
  return [
    '```sh',
    `docker pull ${section.image}:${section.version}`,
    '```',
    '',
    '| | |',
    '| --- | --- |',
    `| Digest | \`${section.digest}\` |`,
    `| Platforms | ${section.platforms.join(', ')} |`,
    ...((section.repositories?.length ?? 0) > 1
      ? [`| Repositories | ${(section.repositories ?? []).map((r) => `\`${r}\``).join(', ')} |`]
      : []),
    `| Tags | ${section.tags.map((t) => `\`${t}\``).join(', ')} |`,
    '',
  ]
}

/** The Release body's image section: for each image, how to pull it, its digest, platforms and tags. */
export function renderImageSection(sections: readonly ImageSection[]): string {
  const lines = [IMAGE_SECTION_MARKER]
  if (sections.length === 1 && sections[0]) {
    lines.push('## Container image', '', ...renderImage(sections[0]))
  } else {
    lines.push('## Container images', '')
    for (const section of sections) lines.push(`### ${section.name}`, '', ...renderImage(section))
  }
  return lines.join('\n')
}

/** GitHub refuses a longer Release body ("body is too long (maximum is 125000 characters)"). */
export const RELEASE_BODY_LIMIT = 125_000

/** Characters as GitHub counts them: code points, so that a cut never splits one. */
const characters = (text: string): string[] => Array.from(text)

/**
 * A body with the image section put in place: the notes, then this run's image section. Notes
 * that would take the body over GitHub's limit are cut, at a line where one is near, with a note
 * saying so; the image section is never cut.
 */
export function releaseBody(
  notes: string,
  sections: readonly ImageSection[],
  limit = RELEASE_BODY_LIMIT,
): string {
  const marker = notes.indexOf(IMAGE_SECTION_MARKER)
  const own = (marker >= 0 ? notes.slice(0, marker) : notes).trimEnd()
  const section = renderImageSection(sections)
  const body = `${own === '' ? '' : `${own}\n\n`}${section}`
  const total = characters(body).length
  if (total <= limit) return body
  const ownCharacters = characters(own)
  const cutNote = (left: number): string =>
    `\n\n_The notes were cut at GitHub's limit of ${limit.toLocaleString('en-US')} characters for a Release body: ${left.toLocaleString('en-US')} characters are left out._`
  // The note's own length depends on the count it gives: measure with the largest count.
  const budget =
    limit - characters(section).length - 2 - characters(cutNote(ownCharacters.length)).length
  if (budget <= 0) return characters(body).slice(0, limit).join('')
  let kept = ownCharacters.slice(0, budget).join('')
  const lastLine = kept.lastIndexOf('\n')
  if (lastLine >= kept.length / 2) kept = kept.slice(0, lastLine)
  kept = kept.trimEnd()
  const left = ownCharacters.length - characters(kept).length
  return `${kept}${cutNote(left)}\n\n${section}`
}

/** A SHA256SUMS file as sha256sum writes it, sorted by name. */
export function checksumsFile(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('')
}
