import { execFile, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { getExecOutput } from '@actions/exec'

export interface CommandResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface CommandOptions {
  /** Print the command's output to the log as it runs. */
  readonly stream?: boolean
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  readonly input?: string
  /** The job's cancellation: the program is interrupted (SIGINT, then killed 3 s later). */
  readonly signal?: AbortSignal
}

/** How long an interrupted program may take to stop before it is killed. */
export const INTERRUPT_GRACE_MS = 3_000

/** How long the output of a program that has exited may take to end (a child holding it). */
const OUTPUT_END_MS = 2_000

/**
 * Spawns a program here, with the same result and log lines as @actions/exec. A program the
 * job's cancellation must be able to end gets its own process group, which the interrupt
 * reaches whole, as Ctrl-C would (the docker CLI and the buildx plugin it starts): @actions/exec
 * keeps its child to itself. A program given by its path is spawned here too, at once:
 * @actions/exec first looks it up on PATH, a few file-system round trips on the event loop,
 * which a busy loop (a first fetch loading undici) holds back by tens of milliseconds.
 */
function spawnCommand(
  program: string,
  args: readonly string[],
  options: CommandOptions,
  env: NodeJS.ProcessEnv | undefined,
): Promise<CommandResult> {
  const signal = options.signal
  return new Promise((resolve) => {
    if (options.stream === true) process.stdout.write(`[command]${program} ${args.join(' ')}\n`)
    const child = spawn(program, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: signal !== undefined,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(env !== undefined ? { env } : {}),
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk)
      if (options.stream === true) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk)
      // To the log, as @actions/exec writes a child's stderr (buildx's progress is there).
      if (options.stream === true) process.stdout.write(chunk)
    })
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal)
      } catch {
        // The group has ended already.
      }
    }
    const timers: NodeJS.Timeout[] = []
    const interrupt = (): void => {
      signalGroup('SIGINT')
      timers.push(
        setTimeout(() => {
          signalGroup('SIGKILL')
        }, INTERRUPT_GRACE_MS),
      )
    }
    if (signal?.aborted) interrupt()
    else signal?.addEventListener('abort', interrupt, { once: true })
    let done = false
    const finish = (exitCode: number, stderr?: string): void => {
      if (done) return
      done = true
      signal?.removeEventListener('abort', interrupt)
      for (const timer of timers) clearTimeout(timer)
      child.stdout.destroy()
      child.stderr.destroy()
      resolve({
        exitCode,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stderr ?? Buffer.concat(err).toString('utf8'),
      })
    }
    child.on('error', (error) => {
      finish(127, error.message)
    })
    child.on('exit', (code) => {
      // Its output ends when the last process holding it does: waited for, a little.
      const exitCode = code ?? 130
      child.on('close', () => {
        finish(exitCode)
      })
      timers.push(
        setTimeout(() => {
          finish(exitCode)
        }, OUTPUT_END_MS),
      )
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input)
  })
}

/** Runs a program with an argument list (never a shell string) and captures its output. */
export async function runCommand(
  program: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const env = options.env
    ? { ...(process.env as Record<string, string>), ...options.env }
    : undefined
  if (options.signal !== undefined || isAbsolute(program))
    return spawnCommand(program, args, options, env)
  try {
    const result = await getExecOutput(program, [...args], {
      ignoreReturnCode: true,
      silent: options.stream !== true,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(env !== undefined ? { env } : {}),
      ...(options.input !== undefined ? { input: Buffer.from(options.input) } : {}),
    })
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
  } catch (error) {
    // The program itself could not be started (not installed, not executable).
    return {
      exitCode: 127,
      stdout: '',
      stderr: error instanceof Error ? error.message : String(error),
    }
  }
}

/** The last meaningful lines of a command's error output, for a failure message. */
export function tail(text: string, lines = 12): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-lines)
    .join('\n')
}

export interface BinaryResult {
  readonly exitCode: number
  readonly stdout: Buffer
  readonly stderr: string
}

/** Runs a program and keeps its standard output as bytes (for tar streams). */
export function runCommandBinary(
  program: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<BinaryResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      [...args],
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code
        resolve({
          exitCode: error ? (typeof code === 'number' ? code : 1) : 0,
          stdout,
          stderr: stderr.toString(),
        })
      },
    )
  })
}

/** One program as a port runs it; tests give a scripted one to check each argument list. */
export interface Program {
  run(args: readonly string[], options?: CommandOptions): Promise<CommandResult>
  runBinary(args: readonly string[]): Promise<BinaryResult>
}

export function program(name: string): Program {
  return {
    run: (args, options) => runCommand(name, args, options),
    runBinary: (args) => runCommandBinary(name, args),
  }
}

/** Whether the file at `path` may be executed (a few microseconds: one access call). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Whether a program of that name is on PATH, as a process start would find it. Synchronous: a
 * few access calls, where an asynchronous one per folder would wait on a busy event loop.
 */
export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => isExecutable(join(dir, name)))
}
