import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ActionRun } from './action-run.js'
import { REPO_ROOT } from './stack.js'

/** What the post step did: its exit code, its log and its own job summary. */
export interface PostRun {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly summary: string
}

/**
 * Runs the bundle's post entry as the runner does after the main step (also a cancelled or
 * killed one): the main step's environment, its saved state as STATE_* variables, and a job
 * summary file of its own.
 */
export async function runPostStep(main: ActionRun): Promise<PostRun> {
  const summaryFile = join(mkdtempSync(join(tmpdir(), 'post-step-')), 'summary.md')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    ...main.env,
    ...Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v])),
    GITHUB_STEP_SUMMARY: summaryFile,
  }
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'post', 'index.js')], {
    cwd: main.env.GITHUB_WORKSPACE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exitCode = await new Promise<number>((resolve) =>
    child.on('close', (code) => {
      resolve(code ?? 1)
    }),
  )
  return { exitCode, stdout, stderr, summary: readFileSync(summaryFile, 'utf8') }
}

/** The process and every process it started, children first found by their parent pid. */
function descendants(root: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = []
  const walk = (pid: number): void => {
    for (const child of parents.get(pid) ?? []) {
      found.push(child)
      walk(child)
    }
  }
  walk(root)
  return found
}

/**
 * Kills a process and all it started, as the runner ends a job's process tree (and as a lost
 * machine does): containers the engine runs for it are not its children and stay.
 */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  const send = (pids: readonly number[], sig: NodeJS.Signals): void => {
    for (const p of pids) {
      try {
        process.kill(p, sig)
      } catch {
        // already gone
      }
    }
  }
  // Frozen first, so that none starts another process (or is re-parented) while the tree is
  // read; every process seen in any reading is signalled, so none stays frozen.
  const seen = new Set([pid, ...descendants(pid)])
  for (let pass = 0; pass < 3; pass++) {
    send([...seen], 'SIGSTOP')
    const before = seen.size
    for (const p of descendants(pid)) seen.add(p)
    if (seen.size === before) break
  }
  send([...seen], signal)
  if (signal !== 'SIGKILL') send([...seen], 'SIGCONT')
}

/** The names of the containers on the engine labelled with one run attempt (or any of the action's). */
export function actionContainers(run?: string): string[] {
  const filter =
    run === undefined ? 'dev.multiarch-release.run' : `dev.multiarch-release.run=${run}`
  const out = execFileSync(
    'docker',
    ['ps', '--all', '--filter', `label=${filter}`, '--format', '{{.Names}}'],
    { encoding: 'utf8' },
  )
  return out.split('\n').filter((l) => l.trim() !== '')
}
