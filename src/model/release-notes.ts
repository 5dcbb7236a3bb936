/** Marks the section this action writes into a Release body, so a re-run can find and replace it. */
export const IMAGE_SECTION_MARKER = '<!-- multiarch-release:image -->'

export interface ImageSection {
  readonly image: string
  readonly version: string
  readonly digest: string
  readonly platforms: readonly string[]
  readonly tags: readonly string[]
}

/** The Release body's image section: how to pull, the digest, the platforms and the tags. */
export function renderImageSection(section: ImageSection): string {
  return [
    IMAGE_SECTION_MARKER,
    '## Container image',
    '',
    '```sh',
    `docker pull ${section.image}:${section.version}`,
    '```',
    '',
    '| | |',
    '| --- | --- |',
    `| Digest | \`${section.digest}\` |`,
    `| Platforms | ${section.platforms.join(', ')} |`,
    `| Tags | ${section.tags.map((t) => `\`${t}\``).join(', ')} |`,
    '',
  ].join('\n')
}

/** A body with the image section put in place: the notes, then this run's image section. */
export function releaseBody(notes: string, section: ImageSection): string {
  const marker = notes.indexOf(IMAGE_SECTION_MARKER)
  const own = (marker >= 0 ? notes.slice(0, marker) : notes).trimEnd()
  return `${own === '' ? '' : `${own}\n\n`}${renderImageSection(section)}`
}

/** A SHA256SUMS file as sha256sum writes it, sorted by name. */
export function checksumsFile(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('')
}
