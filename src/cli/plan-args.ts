// The command line of `multiarch-release plan`, as pure functions: flags in, the runner's
// INPUT_* and GITHUB_* variables out.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { inputVariable, type ActionInput } from '../model/input-env.js'
import { REPOSITORY } from '../model/run-env.js'

export { inputVariable, type ActionInput } from '../model/input-env.js'

export interface PlanContext {
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly git: (dir: string, args: string[]) => string | undefined
}

export type PlanArgs =
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'plan'; env: Record<string, string>; workspace: string; json: boolean }

export const DEFAULT_API_URL = 'https://api.github.com'

/** The flags that describe the run, as the runner's GITHUB_* variables would. */
export const RUN_FLAGS = [
  ['event-name', '<name>', 'the event that triggered the run (default: push)'],
  ['event-path', '<file>', 'its payload as JSON, e.g. a workflow_run or pull_request event'],
  ['repository', '<owner/repo>', "(default: $GITHUB_REPOSITORY, else the origin remote's)"],
  ['sha', '<commit>', "the event's commit (default: the workspace's HEAD)"],
  ['ref', '<ref>', "e.g. refs/tags/v1.2.3 (default: the workspace's branch)"],
  ['api-url', '<url>', `the GitHub API (default: ${DEFAULT_API_URL})`],
  ['token', '<token>', 'the GitHub token, as --github-token (default: $GITHUB_TOKEN)'],
  ['workspace', '<dir>', 'the checkout to plan (default: the current folder)'],
] as const

/** The first sentence of a description, for the help. */
const firstSentence = (text: string): string => text.split(/(?<=\.)\s/)[0] ?? text

/** The help: usage, the run's flags and every input of action.yml. */
export function helpText(inputs: readonly ActionInput[]): string {
  const width =
    Math.max(
      ...[...RUN_FLAGS.map(([f, v]) => `${f} ${v}`), ...inputs.map((i) => `${i.name} <value>`)].map(
        (s) => s.length,
      ),
    ) + 4
  // Descriptions wrap at 100 columns, under their own column; a default is never split.
  const row = (flag: string, text: string, fallback = ''): string => {
    const lines = ['']
    for (const word of [...text.split(/\s+/), ...(fallback ? [`(default: ${fallback})`] : [])]) {
      const last = lines.length - 1
      const line = lines[last] ?? ''
      if (line !== '' && width + 4 + line.length + word.length >= 100) lines.push(word)
      else lines[last] = line === '' ? word : `${line} ${word}`
    }
    return `  --${flag.padEnd(width)}${lines.join(`\n${' '.repeat(width + 4)}`)}`
  }
  return [
    'Usage: multiarch-release plan [flags]',
    '',
    'Prints what a release would do, without doing it: the version, the tags and platforms of',
    'each image, every step in order with why it runs or is skipped, and what becomes visible',
    'when. It reads GitHub, the registry and git as the release would; it changes nothing.',
    '',
    'The run, as the GitHub runner would describe it:',
    ...RUN_FLAGS.map(([flag, value, text]) => row(`${flag} ${value}`, text)),
    row('json', 'print the plan output (JSON) on stdout, and the log on stderr'),
    row('help', 'show this help'),
    '',
    "The action's inputs (action.yml); repeat a flag to give a multi-line input several lines:",
    ...inputs
      .filter((i) => i.name !== 'mode')
      .map((i) =>
        row(
          `${i.name} <value>`,
          firstSentence(i.description),
          i.default !== undefined && !i.default.includes('${{') ? i.default : '',
        ),
      ),
    row('mode plan', 'the only mode a command line runs'),
    '',
  ].join('\n')
}

/** The repository of a git remote URL, such as git@github.com:acme/app.git. */
function repositoryOfRemote(url: string | undefined): string | undefined {
  const repository = /[:/]([^/:]+\/[^/]+?)(?:\.git)?\/?$/.exec(url ?? '')?.[1]
  return repository !== undefined && REPOSITORY.test(repository) ? repository : undefined
}

type Options = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>

/** Parses `plan` and its flags into the variables the runner would set for the action. */
export function parsePlanArgs(
  argv: readonly string[],
  inputs: readonly ActionInput[],
  context: PlanContext,
): PlanArgs {
  const options: Options = { json: { type: 'boolean' }, help: { type: 'boolean' } }
  for (const [flag] of RUN_FLAGS) options[flag] = { type: 'string' }
  for (const input of inputs) options[input.name] = { type: 'string', multiple: true }
  // A first pass names every unknown flag at once, before parseArgs stops at the first.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help'))
    return { kind: 'help', text: helpText(inputs) }
  const unknown = [
    ...new Set(
      tokens.flatMap((t) => (t.kind === 'option' && !(t.name in options) ? [t.rawName] : [])),
    ),
  ]
  if (unknown.length > 0) {
    return {
      kind: 'error',
      message: `unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid flags: ${Object.keys(
        options,
      )
        .map((f) => `--${f}`)
        .join(', ')}`,
    }
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (error) {
    // A flag without its value, or a value given to --json or --help. Read the message without
    // instanceof: under a test runner's VM context, Node's own errors come from another realm.
    const message =
      error !== null && typeof error === 'object' && 'message' in error
        ? String(error.message)
        : String(error)
    return { kind: 'error', message }
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1 || positionals[0] !== 'plan') {
    return {
      kind: 'error',
      message: `expected the command plan, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    }
  }
  const one = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'string' ? value : undefined
  }
  const lines = (name: string): string | undefined => {
    const value = values[name]
    return Array.isArray(value) ? value.join('\n') : undefined
  }
  const mode = lines('mode')
  if (mode !== undefined && mode !== 'plan') {
    return {
      kind: 'error',
      message: `--mode ${mode}: the command line only plans (mode plan); run the action in a workflow to build or release`,
    }
  }
  if (lines('github-token') !== undefined && one('token') !== undefined)
    return { kind: 'error', message: 'give the token once: --token or --github-token, not both' }

  const workspace = resolve(context.cwd, one('workspace') ?? '.')
  const repository =
    one('repository') ??
    context.env.GITHUB_REPOSITORY ??
    repositoryOfRemote(context.git(workspace, ['remote', 'get-url', 'origin']))
  if (repository === undefined || !REPOSITORY.test(repository)) {
    return {
      kind: 'error',
      message:
        repository === undefined
          ? '--repository owner/repo is needed: there is no GITHUB_REPOSITORY and no origin remote to read it from'
          : `--repository ${repository}: give it as owner/repo`,
    }
  }
  const env: Record<string, string> = {}
  for (const input of inputs) {
    const value = lines(input.name)
    if (value !== undefined) env[inputVariable(input.name)] = value
  }
  env[inputVariable('mode')] = 'plan'
  const token = lines('github-token') ?? one('token') ?? context.env.GITHUB_TOKEN
  if (token !== undefined) env[inputVariable('github-token')] = token
  const eventPath = one('event-path')
  Object.assign(env, {
    GITHUB_EVENT_NAME: one('event-name') ?? 'push',
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0] ?? '',
    GITHUB_SHA: one('sha') ?? context.git(workspace, ['rev-parse', 'HEAD']) ?? '',
    GITHUB_REF: one('ref') ?? context.git(workspace, ['symbolic-ref', '-q', 'HEAD']) ?? '',
    GITHUB_API_URL: one('api-url') ?? DEFAULT_API_URL,
    GITHUB_WORKSPACE: workspace,
    ...(eventPath !== undefined ? { GITHUB_EVENT_PATH: resolve(context.cwd, eventPath) } : {}),
  })
  return { kind: 'plan', env, workspace, json: values.json === true }
}

/**
 * The child's environment: the caller's, without anything a runner set for another step
 * (INPUT_*, GITHUB_*, RUNNER_*, ACTIONS_*), plus the plan's variables.
 */
export function childEnvironment(
  parent: Readonly<Record<string, string | undefined>>,
  plan: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !/^(INPUT|GITHUB|RUNNER|ACTIONS)_/.test(name)) env[name] = value
  }
  return { ...env, ...plan }
}

/** Decodes a workflow command's message (%0A, %0D, %25). */
const decode = (text: string): string =>
  text.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%25/g, '%')

/**
 * A line of the action's output as a terminal shows it: workflow commands (::group::,
 * ::error::, ::add-mask::) become plain text or disappear.
 */
export function terminalLine(line: string): string | undefined {
  const match = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
  if (!match) return line
  const [, command, message = ''] = match
  switch (command) {
    case 'error':
    case 'warning':
    case 'notice':
      return `${command}: ${decode(message)}`
    case 'group':
      return decode(message)
    default:
      // endgroup, add-mask, debug, set-output, save-state, …
      return undefined
  }
}

/** The outputs the action wrote to its GITHUB_OUTPUT file (name<<delimiter, lines, delimiter). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const all = text.split('\n')
  for (let i = 0; i < all.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(all[i] ?? '')
    if (!match) continue
    const [, name = '', delimiter] = match
    const value: string[] = []
    for (i++; i < all.length && all[i] !== delimiter; i++) value.push(all[i] ?? '')
    outputs[name] = value.join('\n')
  }
  return outputs
}
