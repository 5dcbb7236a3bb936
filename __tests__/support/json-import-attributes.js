// Jest transform for ESM packages written for bundlers (@actions/workflow-parser): Node and
// Jest need `with { type: 'json' }` on a JSON import, and these packages leave it out.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A static default or namespace import of a .json file that has no import attribute yet. */
const BARE_JSON_IMPORT =
  /^(import\s+[^'";]+?\s+from\s+(["'])[^"'\n]+\.json\2)(?!\s*(?:with|assert)\b)/gm

const SELF = readFileSync(fileURLToPath(import.meta.url), 'utf8')

/** @param {string} source */
export function addJsonImportAttributes(source) {
  return source.replace(BARE_JSON_IMPORT, '$1 with { type: "json" }')
}

export default {
  /** @param {string} source */
  process(source) {
    return { code: addJsonImportAttributes(source) }
  },
  /** @param {string} source @param {string} path */
  getCacheKey(source, path) {
    return createHash('sha256').update(SELF).update(path).update(source).digest('hex')
  },
}
