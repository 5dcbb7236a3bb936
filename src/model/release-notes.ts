/** Marks the section this action writes into a Release body, so a re-run can find and replace it. */
export const IMAGE_SECTION_MARKER = '<!-- multiarch-release:image -->'

export interface ImageSection {
  /** The component's name, shown when the release has several images. */
  readonly name: string
  readonly image: string
  readonly version: string
  readonly digest: string
  readonly platforms: readonly string[]
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

/** A body with the image section put in place: the notes, then this run's image section. */
export function releaseBody(notes: string, sections: readonly ImageSection[]): string {
  const marker = notes.indexOf(IMAGE_SECTION_MARKER)
  const own = (marker >= 0 ? notes.slice(0, marker) : notes).trimEnd()
  return `${own === '' ? '' : `${own}\n\n`}${renderImageSection(sections)}`
}

/** A SHA256SUMS file as sha256sum writes it, sorted by name. */
export function checksumsFile(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('')
}
