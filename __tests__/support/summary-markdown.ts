// Reads a job summary as GitHub does: CommonMark + GFM (tables), parsed by micromark into mdast.
import type { Code, Heading, Link, Nodes, Paragraph, Root, Table } from 'mdast'
import { fromMarkdown } from 'mdast-util-from-markdown'
import { gfmFromMarkdown } from 'mdast-util-gfm'
import { gfm } from 'micromark-extension-gfm'

export function parseSummary(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] })
}

/** Every node of the tree, depth first. */
function* walk(node: Nodes): Generator<Nodes> {
  yield node
  if ('children' in node) for (const child of node.children) yield* walk(child)
}

/** The text a person reads: text and code as written, <br> as a line break. */
export function plain(node: Nodes): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value
  if (node.type === 'html') return node.value === '<br>' ? '\n' : node.value
  return 'children' in node ? node.children.map((child) => plain(child)).join('') : ''
}

export interface ParsedTable {
  readonly header: string[]
  readonly rows: string[][]
  /** The nodes of each body cell, to look at links or code in a cell. */
  readonly cells: Nodes[][]
}

export function tables(root: Root): ParsedTable[] {
  return [...walk(root)]
    .filter((n): n is Table => n.type === 'table')
    .map((table) => {
      const [head, ...body] = table.children
      return {
        header: (head?.children ?? []).map((cell) => plain(cell)),
        rows: body.map((row) => row.children.map((cell) => plain(cell))),
        cells: body.map((row) => row.children),
      }
    })
}

/** The one table whose header starts with these columns. */
export function tableStarting(root: Root, ...columns: string[]): ParsedTable {
  const found = tables(root).filter((t) => columns.every((c, i) => t.header[i] === c))
  if (found.length !== 1) throw new Error(`${found.length} tables start with ${columns.join(', ')}`)
  return found[0] as ParsedTable
}

/** A table's body as objects keyed by its header. */
export function records(table: ParsedTable): Record<string, string>[] {
  return table.rows.map((row) => Object.fromEntries(table.header.map((h, i) => [h, row[i] ?? ''])))
}

export const headings = (root: Root): Heading[] =>
  [...walk(root)].filter((n): n is Heading => n.type === 'heading')

export const links = (root: Root): Link[] =>
  [...walk(root)].filter((n): n is Link => n.type === 'link')

export const paragraphs = (root: Root): Paragraph[] =>
  [...walk(root)].filter((n): n is Paragraph => n.type === 'paragraph')

export const codeBlocks = (root: Root, lang: string): Code[] =>
  [...walk(root)].filter((n): n is Code => n.type === 'code' && n.lang === lang)

export interface GanttTask {
  readonly name: string
  readonly tags: string[]
  readonly id: string
  readonly start: number
  readonly end: number
}

/** The tasks of a Mermaid gantt chart written with `dateFormat x`: `name :tags, id, start, end`. */
export function ganttTasks(chart: string): GanttTask[] {
  const lines = chart.split('\n').map((l) => l.trim())
  const firstSection = lines.findIndex((l) => l.startsWith('section '))
  return lines
    .slice(firstSection + 1)
    .filter((l) => l !== '' && !l.startsWith('section '))
    .map((line) => {
      const colon = line.indexOf(':')
      const fields = line
        .slice(colon + 1)
        .split(',')
        .map((f) => f.trim())
      const [id = '', start = '', end = ''] = fields.slice(-3)
      return {
        name: line.slice(0, colon).trim(),
        tags: fields.slice(0, -3),
        id,
        start: Number(start),
        end: Number(end),
      }
    })
}
