// The kinds of input (enum, boolean, list, key=value lines, …): one parser each, shared by every
// entry of the input table, so each pattern and each message is written once.
import { formatPlatform, parsePlatform } from './platform.js'
import { ACCEPTED_SECONDS, parseSeconds, type Duration, type TimeoutTable } from './duration.js'

/** A value this long is a mistake (or an attack), never a configuration. */
export const MAX_INPUT_LENGTH = 65_536
/** The most entries a list input (platforms, smoke-run, tags, …) or components may hold. */
export const MAX_ENTRIES = 64

export interface KeyValue {
  readonly key: string
  readonly value: string
}

/** Reports a problem with the value being parsed: the value, why it is refused, what is accepted. */
export type Report = (value: string, reason: string, accepted: string) => void

/** What parsing one input, or one field of a component, may use. */
export interface FieldContext {
  /** Names the input (or components[api].field) in the problem. */
  readonly report: Report
  /** Tells the user how an accepted value was read (an image lowercased, a label ignored). */
  readonly notice: (message: string) => void
  /** Whether a path relative to the workspace exists. */
  readonly exists: (path: string) => boolean
  /** Whether a path stays inside the workspace, links followed. */
  readonly inside: (path: string) => boolean
  /** A workspace file's text, or undefined when it does not exist. */
  readonly readText: (path: string) => string | undefined
}

export type InputKind =
  | 'text'
  | 'verbatim'
  | 'enum'
  | 'boolean'
  | 'version'
  | 'list'
  | 'lines'
  | 'key-values'
  | 'duration'
  | 'yaml'

/**
 * How one input is read: its kind, and a parse that reports every problem through the context
 * and returns the value (undefined when it reported one, or when an optional input is blank).
 */
export interface InputSpec<T> {
  readonly kind: InputKind
  /** A blank value is the value (tag-prefix: no prefix), not action.yml's default. */
  readonly keepsBlank?: boolean
  /** Holds secrets: no problem ever shows the value. */
  readonly sensitive?: boolean
  readonly parse: (text: string, at: FieldContext) => T
}

/** Splits a list input on commas and newlines, dropping blanks. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** Splits a multi-line input into its lines, dropping blanks and # comments. */
export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
}

/** One of a fixed set of words. */
export function oneOf<const V extends string>(
  values: readonly V[],
  noun: string,
  accepted = `use one of ${values.join(', ')}`,
): InputSpec<V | undefined> {
  return {
    kind: 'enum',
    parse: (text, { report }) => {
      const value = values.find((v) => v === text.trim())
      if (value === undefined) report(text.trim(), `unknown ${noun}`, accepted)
      return value
    },
  }
}

export const boolean = (): InputSpec<boolean | undefined> => ({
  kind: 'boolean',
  parse: (text, { report }) => {
    const value = text.trim()
    if (value === 'true' || value === 'false') return value === 'true'
    report(value, 'it is not a boolean', 'use true or false')
    return undefined
  },
})

/** What a text input must look like, and what to tell the user when it does not. */
export interface TextRule {
  readonly pattern: RegExp
  readonly reason: string
  readonly accepted: string
}

/** A word or a name, trimmed; blank is a value. */
export const text = (rule?: TextRule): InputSpec<string> => ({
  kind: 'text',
  parse: (value, { report }) => {
    const trimmed = value.trim()
    if (rule !== undefined && !rule.pattern.test(trimmed))
      report(trimmed, rule.reason, rule.accepted)
    return trimmed
  },
})

/** A setting that may be left out: blank is undefined, anything else must match. */
export const optionalText = (rule: TextRule): InputSpec<string | undefined> => ({
  kind: 'text',
  parse: (value, at) => (value.trim() === '' ? undefined : text(rule).parse(value, at)),
})

/** Kept exactly as given, never trimmed: secrets, and the release notes' body. */
export const verbatim = (): InputSpec<string> => ({ kind: 'verbatim', parse: (value) => value })

/** A password or key: kept exactly as given, and never shown in a problem. */
export const secretText = (): InputSpec<string> => ({ ...verbatim(), sensitive: true })

/** Parsed by a model function that returns the value, or why the text is not one. */
export function parsedBy<T>(
  kind: InputKind,
  parse: (text: string) => T | string,
  accepted: string,
): InputSpec<T | undefined> {
  return {
    kind,
    parse: (value, { report }) => {
      const result = parse(value.trim())
      if (typeof result !== 'string') return result
      report(value.trim(), result, accepted)
      return undefined
    },
  }
}

/** Blank is undefined (not given); anything else goes to the spec. */
export const optional = <T>(spec: InputSpec<T>): InputSpec<T | undefined> => ({
  ...spec,
  parse: (value, at) => (value.trim() === '' ? undefined : spec.parse(value, at)),
})

/** Parses one entry of a list; undefined drops it (after reporting why). */
export type EntryParser<T> = (entry: string, report: Report, earlier: readonly T[]) => T | undefined

/** An entry parsed by a model function that returns the value, or why the entry is not one. */
export const entryBy =
  <T>(parse: (entry: string) => T | string, accepted: string): EntryParser<T> =>
  (entry, report) => {
    const result = parse(entry)
    if (typeof result !== 'string') return result
    report(entry, result, accepted)
    return undefined
  }

export interface EntriesRule {
  /** Refuse more kept entries than this. */
  readonly max?: number
  /** Refuse a list without entries, saying why and what is accepted. */
  readonly required?: { readonly reason: string; readonly accepted: string }
}

function entries<T>(
  kind: 'list' | 'lines',
  split: (text: string) => string[],
  parse: EntryParser<T>,
  rule: EntriesRule,
): InputSpec<T[]> {
  return {
    kind,
    parse: (value, { report }) => {
      const kept: T[] = []
      for (const entry of split(value)) {
        const parsed = parse(entry, report, kept)
        if (parsed !== undefined) kept.push(parsed)
      }
      if (rule.required !== undefined && split(value).length === 0)
        report(value.trim(), rule.required.reason, rule.required.accepted)
      if (rule.max !== undefined && kept.length > rule.max)
        report(`${kept.length} entries`, 'there are too many', `give at most ${rule.max}`)
      return kept
    },
  }
}

/** Comma- or newline-separated entries. */
export const list = <T>(parse: EntryParser<T>, rule: EntriesRule = {}): InputSpec<T[]> =>
  entries('list', splitList, parse, rule)

/** One entry per line; blank lines and # comments are skipped. */
export const lines = <T>(parse: EntryParser<T>, rule: EntriesRule = {}): InputSpec<T[]> =>
  entries('lines', splitLines, parse, rule)

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/

export function parseKeyValue(line: string): KeyValue | undefined {
  const eq = line.indexOf('=')
  if (eq <= 0) return undefined
  const key = line.slice(0, eq).trim()
  if (!KEY.test(key)) return undefined
  return { key, value: line.slice(eq + 1) }
}

/** KEY=value lines (build arguments, environment); the value keeps = and spaces. */
export const keyValues = (accepted: string): InputSpec<KeyValue[]> => ({
  ...lines((line, report) => {
    const kv = parseKeyValue(line)
    if (kv === undefined) report(line, 'it is not KEY=value', accepted)
    return kv
  }),
  kind: 'key-values',
})

/** Seconds, with per-platform overrides such as 120,linux/arm64=300; blank is the fallback. */
export function timeouts(fallbackText: string): InputSpec<TimeoutTable> {
  const accepted = `${ACCEPTED_SECONDS}, optionally followed by per-platform overrides such as 120,linux/arm64=300`
  return {
    kind: 'duration',
    parse: (value, { report }) => {
      const declared = parseSeconds(fallbackText)
      if (typeof declared === 'string') throw new Error(`action.yml's default: ${declared}`)
      let fallback = declared
      const overrides = new Map<string, Duration>()
      for (const item of splitList(value)) {
        const eq = item.indexOf('=')
        const platform = eq < 0 ? undefined : parsePlatform(item.slice(0, eq))
        const seconds = parseSeconds(item.slice(eq + 1))
        if (typeof platform === 'string') report(item, platform, accepted)
        else if (typeof seconds === 'string') report(item, seconds, accepted)
        else if (platform === undefined) fallback = seconds
        else overrides.set(formatPlatform(platform), seconds)
      }
      return { fallback, overrides }
    },
  }
}

/** A path that cannot leave the workspace by its spelling alone: relative, never climbing out. */
export function insideByName(path: string): boolean {
  if (path.startsWith('/') || path.startsWith('~')) return false
  let depth = 0
  for (const part of path.split(/[\\/]+/)) {
    if (part === '..') depth--
    else if (part !== '' && part !== '.') depth++
    if (depth < 0) return false
  }
  return true
}
