// build-push-action's secret inputs: secrets, secret-files, secret-envs and ssh. They are run
// inputs only: a components file in the workspace cannot reach the runner's secrets or files.
import type { InputName } from './action-inputs.generated.js'
import {
  MAX_ENTRIES,
  lines,
  list,
  splitLines,
  type EntryParser,
  type FieldContext,
  type InputSpec,
} from './input-kinds.js'

/** secrets: a value given to buildx only through a variable of its environment (masked). */
export interface SecretValue {
  readonly id: string
  readonly value: string
}
/** secret-files: a file buildx reads itself. */
export interface SecretFile {
  readonly id: string
  readonly path: string
}
/** secret-envs: a variable of the action's environment, passed on by name. */
export interface SecretEnv {
  readonly id: string
  readonly variable: string
}
/** ssh: an agent socket or key for RUN --mount=type=ssh; no path is $SSH_AUTH_SOCK. */
export interface SshSource {
  readonly id: string
  readonly path: string | undefined
}

/** The build secrets of every image of the run: ids reach buildx's command line, values never. */
export interface BuildSecrets {
  readonly values: readonly SecretValue[]
  readonly files: readonly SecretFile[]
  readonly envs: readonly SecretEnv[]
  readonly ssh: readonly SshSource[]
}

/** The variables the action sets for buildx, one per value of secrets. */
export const SECRET_VARIABLE_PREFIX = 'MULTIARCH_RELEASE_SECRET_'

const SECRET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/
const ACCEPTED_SECRET_ID =
  'an id is letters, digits, _ . - (as RUN --mount=type=secret,id=<id> names it)'

/** Splits id=rest at the first =; undefined when there is no id before it. */
function idAndRest(entry: string): [string, string] | undefined {
  const eq = entry.indexOf('=')
  if (eq <= 0) return undefined
  return [entry.slice(0, eq).trim(), entry.slice(eq + 1)]
}

/** A path a workflow gives: no line breaks, no quotes or commas (buildx reads its flags as CSV). */
const plainPath = (path: string): boolean => path !== '' && !/[\n\r",]/.test(path)

/**
 * The entries of secrets: one id=value per line, or a "quoted" entry (as build-push-action's
 * CSV reading allows) that may span lines and holds "" for a quote: a PEM key, a .npmrc.
 * Returns the entries and the line numbers of quotes left open.
 */
export function secretEntries(text: string): { entries: string[]; unclosed: number[] } {
  const entries: string[] = []
  const unclosed: number[] = []
  const rows = text.split('\n')
  for (let i = 0; i < rows.length; i++) {
    const line = (rows[i] ?? '').replace(/\r$/, '').trimStart()
    if (line === '' || line.startsWith('#')) continue
    if (!line.startsWith('"')) {
      entries.push(line)
      continue
    }
    const start = i
    let quoted = line.slice(1)
    let closed = /(?<!")(?:"")*"\s*$/.exec(quoted)
    while (closed === null && i + 1 < rows.length) {
      i++
      quoted = `${quoted}\n${(rows[i] ?? '').replace(/\r$/, '')}`
      closed = /(?<!")(?:"")*"\s*$/.exec(quoted)
    }
    if (closed === null) {
      unclosed.push(start + 1)
      continue
    }
    entries.push(quoted.slice(0, closed.index + closed[0].trimEnd().length - 1).replace(/""/g, '"'))
  }
  return { entries, unclosed }
}

/**
 * secrets: id=value entries. A problem names the entry's id or line, never its value. An empty
 * value (a fork's pull request gets no secrets) is left out with a notice, as build-push-action
 * leaves it out with a warning.
 */
export const SECRETS_INPUT: InputSpec<SecretValue[]> = {
  kind: 'lines',
  sensitive: true,
  parse: (text, { report, notice }) => {
    const accepted = `give one id=value per line, or "id=value" in double quotes for a value over several lines; ${ACCEPTED_SECRET_ID}`
    const { entries, unclosed } = secretEntries(text)
    for (const line of unclosed)
      report(`line ${line}`, 'its opening quote is never closed', accepted)
    const values: SecretValue[] = []
    for (const [index, entry] of entries.entries()) {
      const split = idAndRest(entry)
      if (split === undefined || !SECRET_ID.test(split[0])) {
        report(`entry ${index + 1}`, 'it is not id=value', accepted)
        continue
      }
      const [id, value] = split
      if (value === '') notice(`${id} is empty, so the build runs without it`)
      else values.push({ id, value })
    }
    if (values.length > MAX_ENTRIES)
      report(`${values.length} secrets`, 'there are too many', `give at most ${MAX_ENTRIES}`)
    return values
  },
}

const secretFile: EntryParser<SecretFile> = (entry, report) => {
  const split = idAndRest(entry)
  const path = split?.[1].trim() ?? ''
  if (split === undefined || !SECRET_ID.test(split[0]) || !plainPath(path)) {
    report(entry, 'it is not id=path', `give one id=path per line; ${ACCEPTED_SECRET_ID}`)
    return undefined
  }
  return { id: split[0], path }
}

const secretEnv: EntryParser<SecretEnv> = (entry, report) => {
  const split = idAndRest(entry)
  const variable = split?.[1].trim() ?? ''
  if (split === undefined || !SECRET_ID.test(split[0]) || !VARIABLE.test(variable)) {
    report(
      entry,
      'it is not id=VARIABLE',
      `give id=VARIABLE, the VARIABLE set in the step's env:; ${ACCEPTED_SECRET_ID}`,
    )
    return undefined
  }
  if (variable.startsWith(SECRET_VARIABLE_PREFIX)) {
    report(entry, 'the action sets this variable itself', 'pass the value in secrets instead')
    return undefined
  }
  return { id: split[0], variable }
}

const sshSource: EntryParser<SshSource> = (entry, report) => {
  const [id = '', path] = entry.includes('=') ? (idAndRest(entry) ?? []) : [entry.trim()]
  if (!SECRET_ID.test(id) || (path !== undefined && !plainPath(path.trim()))) {
    report(
      entry,
      'it is not an ssh source',
      'give default (the agent of $SSH_AUTH_SOCK), or id=path of an agent socket or key',
    )
    return undefined
  }
  return { id, path: path?.trim() }
}

/** The ids of every kind of secret, and of ssh sources, are each unique: buildx keeps one. */
export function buildSecretsOf(
  values: {
    readonly secrets: readonly SecretValue[]
    readonly 'secret-files': readonly SecretFile[]
    readonly 'secret-envs': readonly SecretEnv[]
    readonly ssh: readonly SshSource[]
  },
  at: (input: string) => FieldContext,
): BuildSecrets {
  const seen = new Map<string, string>()
  const all: [string, readonly { id: string }[]][] = [
    ['secrets', values.secrets],
    ['secret-files', values['secret-files']],
    ['secret-envs', values['secret-envs']],
  ]
  for (const [input, secrets] of all) {
    for (const { id } of secrets) {
      const first = seen.get(id)
      if (first !== undefined) {
        at(input).report(
          id,
          first === input ? 'this id is given twice' : `this id is given in ${first} too`,
          'give each secret its own id',
        )
      } else seen.set(id, input)
    }
  }
  const sshIds = values.ssh.map((s) => s.id)
  for (const [i, id] of sshIds.entries()) {
    if (sshIds.indexOf(id) !== i)
      at('ssh').report(id, 'this id is given twice', 'give each ssh source its own id')
  }
  for (const file of values['secret-files'].filter((f) => !at('secret-files').exists(f.path)))
    at('secret-files').report(file.path, 'the file does not exist', 'give an existing file')
  for (const s of values.ssh.filter((s) => s.path !== undefined && !at('ssh').exists(s.path ?? '')))
    at('ssh').report(s.path ?? '', 'the socket or key does not exist', 'give an existing path')
  return {
    values: values.secrets,
    files: values['secret-files'],
    envs: values['secret-envs'],
    ssh: values.ssh,
  }
}

/** The build inputs read once per run (the secrets, which no component file may name). */
export const BUILD_SECRET_INPUTS = {
  secrets: SECRETS_INPUT,
  'secret-files': lines(secretFile, { max: MAX_ENTRIES }),
  'secret-envs': list(secretEnv, { max: MAX_ENTRIES }),
  ssh: list(sshSource, { max: MAX_ENTRIES }),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>

/** Splits a secrets text for masking: the whole of each value, and each line of a longer one. */
export function secretsToMask(values: readonly SecretValue[]): string[] {
  return values.flatMap(({ value }) => [value, ...(value.includes('\n') ? splitLines(value) : [])])
}
