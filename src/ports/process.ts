import { execFile } from 'node:child_process'
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
