import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STACK } from './engine-stack.js'
import { node24 } from './node24.js'
import { REPO_ROOT } from './stack.js'
// The GITHUB_OUTPUT file, read as the command line reads it.
import { parseOutputFile } from '../../src/cli/plan-args.js'

export interface ActionRun {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly outputs: Record<string, string>
  readonly summary: string
  /** The `::error::` annotations the run printed. */
  readonly errors: string[]
  /** What the run saved for its post step (core.saveState), as the runner passes it on. */
  readonly state: Record<string, string>
  /** The environment the run had: the runner gives its post step the same. */
  readonly env: Record<string, string>
  /** How the process ended: its signal when one ended it. */
  readonly signal: NodeJS.Signals | null
}

export interface ActionRunOptions {
  readonly inputs: Record<string, string>
  readonly workspace: string
  readonly sha: string
  readonly eventName?: string
  readonly payload?: Record<string, unknown>
  /** The event file's bytes as given (for malformed payloads). */
  readonly rawPayload?: string
  readonly ref?: string
  readonly env?: Record<string, string>
  readonly runId?: string
  readonly runAttempt?: string
  /** Values that must never appear in the run's logs, outputs or summary (tokens, passwords). */
  readonly secrets?: readonly string[]
  /** Called with the child process once it runs (to signal it at a chosen moment). */
  readonly onSpawn?: (child: ChildProcess) => void
  /** Sent to the process after this many milliseconds (as a cancelled job does). */
  readonly killAfter?: { ms: number; signal: NodeJS.Signals }
  /** The entry to run: the main step's bundle (default) or the post step's. */
  readonly entry?: 'main' | 'post'
  /** The runner's RUNNER_TEMP (default: a new folder for this run). */
  readonly runnerTemp?: string
  /** The node binary that runs the bundle (default: the runner's Node.js 24). */
  readonly node?: string
}

/** The tool cache of this machine's runs (RUNNER_TOOL_CACHE). */
export const RUNNER_TOOL_CACHE = join(tmpdir(), 'multiarch-release-tool-cache')

/**
 * Runs the bundled action as the runner does: Node.js 24 (action.yml's runs.using) with INPUT_*
 * and GITHUB_* set, on the engine stack of this run (MULTIARCH_STACK: its DOCKER_HOST,
 * DOCKER_CONFIG, builder and docker CLI; options.env still decides).
 */
export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const node = node24()
  const dir = await mkdtemp(join(tmpdir(), 'action-run-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary.md')
  const eventFile = join(dir, 'event.json')
  const stateFile = join(dir, 'state')
  await writeFile(stateFile, '')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  await writeFile(eventFile, options.rawPayload ?? JSON.stringify(options.payload ?? {}))
  const env: Record<string, string> = {
    ...STACK.env,
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SHA: options.sha,
    GITHUB_REF: options.ref ?? 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_RUN_ID: options.runId ?? String(Math.floor(Math.random() * 1e9)),
    GITHUB_RUN_ATTEMPT: options.runAttempt ?? '1',
    GITHUB_SERVER_URL: 'https://github.example.test',
    GITHUB_API_URL: 'http://127.0.0.1:9/api/v3',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    RUNNER_TEMP: options.runnerTemp ?? dir,
    // The runner's tool cache outlives its jobs: one for every run on this machine, as there.
    RUNNER_TOOL_CACHE: RUNNER_TOOL_CACHE,
    MULTIARCH_RELEASE_BACKOFF_MS: '50',
    ...Object.fromEntries(
      Object.entries(options.inputs).map(([name, value]) => [
        `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
        value,
      ]),
    ),
    ...options.env,
  }
  const bundle =
    options.entry === 'post' ? join('dist', 'post', 'index.js') : join('dist', 'index.js')
  const child = spawn(options.node ?? node, [join(REPO_ROOT, bundle)], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  options.onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = options.killAfter
    ? setTimeout(() => child.kill(options.killAfter?.signal), options.killAfter.ms)
    : undefined
  let endSignal: NodeJS.Signals | null = null
  const exitCode = await new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      endSignal = signal
      resolve(code ?? (signal ? 128 : 1))
    }),
  )
  if (timer) clearTimeout(timer)
  const errors = stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) =>
      l
        .replace(/^::error[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%'),
    )
  const outputText = await readFile(outputFile, 'utf8')
  const summary = await readFile(summaryFile, 'utf8')
  // Every run of the suite checks that no secret leaked anywhere a person or a log could see.
  // ::add-mask:: lines are the runner's own command to hide a secret; it never shows them.
  const shown = stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
  for (const secret of options.secrets ?? []) {
    for (const [where, text] of [
      ['stdout', shown],
      ['stderr', stderr],
      ['outputs', outputText],
      ['summary', summary],
    ]) {
      if (secret !== '' && text?.includes(secret))
        throw new Error(`a secret appeared in the run's ${where ?? ''}`)
    }
  }
  const state = parseOutputFile(await readFile(stateFile, 'utf8'))
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseOutputFile(outputText),
    summary,
    errors,
    state,
    env,
    signal: endSignal,
  }
}
