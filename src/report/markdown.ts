// Markdown for the job summary: user-controlled text is escaped where it lands, never trusted.

/** Punctuation that would open emphasis, code, links, HTML, entities, strikethrough or math, or end a cell. */
const INLINE_SYNTAX = /[\\`*_[\]<>|~&$]/g

/** Text for a paragraph or a table cell: shown as written, on one source line (<br> for breaks). */
export function escaped(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(INLINE_SYNTAX, '\\$&').replace(/\n/g, '<br>')
}

/** A code span that holds any text: its fence is longer than any run of backticks inside. */
export function code(value: string, where: 'cell' | 'paragraph' = 'cell'): string {
  const flat = value.replace(/\r?\n/g, ' ')
  // A value holding \| would read \\| here, where GFM ends the cell: it is shown as plain text.
  if (where === 'cell' && flat.includes('\\|')) return escaped(flat)
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  // A space keeps a backtick at either end apart from the fence; both spaces are stripped again.
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : ''
  // In a table, GFM reads \| as a pipe even inside code; elsewhere the backslash would show.
  const body = where === 'cell' ? flat.replace(/\|/g, '\\|') : flat
  return `${fence}${pad}${body}${pad}${fence}`
}

/** A link whose destination may hold spaces or parentheses. */
export function link(label: string, url: string): string {
  const destination = url.replace(/[<>\\\s]/g, (c) => encodeURIComponent(c))
  return `[${escaped(label)}](<${destination}>)`
}

/** A GFM table; cells are Markdown already (escaped by the caller). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)]
}
