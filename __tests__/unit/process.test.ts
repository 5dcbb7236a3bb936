import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  INTERRUPT_GRACE_MS,
  program,
  runCommand as runPlain,
  runCommandBinary,
  tail,
  type CommandOptions,
} from '../../src/ports/process.js'

// These start real, tiny programs (sh, cat): the layer under every port. A command the job's
// cancellation may interrupt runs another way (@actions/exec keeps its child to itself): both
// keep the same contract.
/** The program's path, as a port that found it gives it (/nonexistent/… for one not installed). */
const pathOf = (name: string): string => {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim()
  } catch {
    return `/nonexistent/${name}`
  }
}

describe.each([
  ['through @actions/exec', undefined, false],
  ['interruptible', new AbortController().signal, false],
  ['by its path (spawned here)', undefined, true],
])('runCommand, %s', (_, signal, byPath) => {
  const runCommand = (name: string, args: readonly string[], options: CommandOptions = {}) =>
    runPlain(byPath ? pathOf(name) : name, args, { ...options, ...(signal ? { signal } : {}) })

  test('captures the exit code, the output and the error output', async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    })
  })

  test('passes each argument as it is, never through a shell', async () => {
    const result = await runCommand('printf', ['%s', '$(id); echo $HOME'])
    expect(result.stdout).toBe('$(id); echo $HOME')
  })

  test('writes the input to standard input', async () => {
    expect((await runCommand('cat', [], { input: 's3cret' })).stdout).toBe('s3cret')
  })

  test("adds variables to the runner's environment rather than replacing it", async () => {
    const result = await runCommand('sh', ['-c', 'echo "$SOURCE_DATE_EPOCH $PATH"'], {
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    })
    expect(result.stdout).toBe(`1700000000 ${process.env.PATH ?? ''}\n`)
  })

  test('runs in the folder given', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'process-')))
    expect((await runCommand('pwd', [], { cwd: dir })).stdout.trim()).toBe(dir)
  })

  test('a program that cannot be started is exit code 127 with the reason', async () => {
    const result = await runCommand('no-such-program-multiarch', ['x'])
    expect(result.exitCode).toBe(127)
    expect(result.stderr).toMatch(/no-such-program-multiarch/)
  })
})

test('a program given by its path is started at the call, before the event loop turns again', async () => {
  // This process's children, as the kernel lists them (the main thread spawns them).
  const children = (): string[] =>
    readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
      .split(' ')
      .filter((pid) => pid.trim() !== '')
  const before = children()
  const running = runPlain(pathOf('sleep'), ['0.2'])
  // Nothing has been awaited yet: a child exists now only if the call spawned it itself (a PATH
  // lookup first, as @actions/exec does, waits for the event loop).
  const spawned = children().filter((pid) => !before.includes(pid))
  expect((await running).exitCode).toBe(0)
  expect(spawned).toHaveLength(1)
})

describe('an interruptible command and the cancellation', () => {
  test('the cancellation interrupts the program and its children at once', async () => {
    const controller = new AbortController()
    setTimeout(() => {
      controller.abort()
    }, 50)
    const started = Date.now()
    const result = await runPlain('sh', ['-c', 'sleep 30; echo survived'], {
      signal: controller.signal,
    })
    expect(result.stdout).toBe('')
    expect(result.exitCode).not.toBe(0)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  test('a program that ignores the interrupt is killed after the grace period', async () => {
    const controller = new AbortController()
    // Interrupted once the shell has set its trap.
    setTimeout(() => {
      controller.abort()
    }, 200)
    const started = Date.now()
    // The trap is inherited: every sleep ignores the interrupt too.
    const result = await runPlain('sh', ['-c', 'trap "" INT; while :; do sleep 0.1; done'], {
      signal: controller.signal,
    })
    expect(result.exitCode).not.toBe(0)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(INTERRUPT_GRACE_MS + 100)
    expect(took).toBeLessThan(INTERRUPT_GRACE_MS + 2_200)
  })

  test('streamed: the command line, then its output, go to the log as @actions/exec writes them', async () => {
    const written: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = (chunk: string | Uint8Array) => {
      written.push(chunk.toString())
      return true
    }
    try {
      await runPlain('sh', ['-c', 'echo hello; sleep 0.1; echo progress >&2'], {
        stream: true,
        signal: new AbortController().signal,
      })
    } finally {
      process.stdout.write = write
    }
    // stderr too (buildx writes its progress there), as @actions/exec does without failOnStdErr
    expect(written.join('')).toBe(
      '[command]sh -c echo hello; sleep 0.1; echo progress >&2\nhello\nprogress\n',
    )
  })
})

describe('runCommandBinary', () => {
  test('keeps the output as bytes', async () => {
    const result = await runCommandBinary('printf', ['\\000\\001\\377'])
    expect(result).toEqual({ exitCode: 0, stdout: Buffer.from([0, 1, 255]), stderr: '' })
  })

  test('a failing program gives its exit code and error output', async () => {
    const result = await runCommandBinary('sh', ['-c', 'echo gone >&2; exit 4'])
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toBe('gone\n')
  })

  test('a program that outlives its timeout is ended and fails', async () => {
    const result = await runCommandBinary('sleep', ['30'], 50)
    expect(result.exitCode).not.toBe(0)
  })

  test('a program that cannot be started fails', async () => {
    expect((await runCommandBinary('no-such-program-multiarch', [])).exitCode).toBe(1)
  })
})

test('program() runs one program with either kind of output', async () => {
  const sh = program('sh')
  expect((await sh.run(['-c', 'echo hi'])).stdout).toBe('hi\n')
  expect((await sh.runBinary(['-c', 'printf hi'])).stdout).toEqual(Buffer.from('hi'))
})

test.each<[string, number, string]>([
  ['a\nb\nc\n', 2, 'b\nc'],
  ['one  \n\n  \ntwo\n\n', 12, 'one\ntwo'],
  ['', 3, ''],
])('tail(%j, %d)', (text, lines, expected) => {
  expect(tail(text, lines)).toBe(expected)
})
