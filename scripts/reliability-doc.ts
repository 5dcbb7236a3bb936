// docs/reliability.md has several writers (the fault suite's report, the chaos soak): each
// replaces only its own section, between markers, and keeps everything else as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export const RELIABILITY_DOC = 'docs/reliability.md'

const start = (name: string): string => `<!-- section ${name}: written by a script, do not edit -->`
const end = (name: string): string => `<!-- end of section ${name} -->`

/** The document with the section's body replaced (or added at the end). */
export function withSection(doc: string, name: string, body: string): string {
  const block = `${start(name)}\n\n${body.trim()}\n\n${end(name)}`
  const from = doc.indexOf(start(name))
  const to = doc.indexOf(end(name))
  if (from >= 0 && to > from) return doc.slice(0, from) + block + doc.slice(to + end(name).length)
  return `${doc.trimEnd()}\n\n${block}\n`
}

/** Replaces one section of docs/reliability.md. */
export function writeSection(name: string, body: string): void {
  const doc = existsSync(RELIABILITY_DOC)
    ? readFileSync(RELIABILITY_DOC, 'utf8')
    : '# Reliability\n'
  writeFileSync(RELIABILITY_DOC, withSection(doc, name, body))
}
