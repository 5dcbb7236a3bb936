// Timing hooks outside the action: docker, git and jq behind wrappers on PATH (and the buildx
// plugin behind one in a Docker config) that log each call's start, end and arguments, so an
// instrumented release shows every process it starts. Requests on the engine's socket are not
// processes: they show in none of these rows.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pluginWrapper } from '../../__tests__/support/docker-fault.js'
import { buildxPlugin } from '../../src/ports/docker-cli.js'

const WRAPPED = ['docker', 'git', 'jq', 'curl']

export interface Call {
  /** Epoch milliseconds. */
  readonly startMs: number
  readonly endMs: number
  readonly command: string
}

export interface CallLog {
  /** PATH with the wrappers first. */
  readonly env: Record<string, string>
  read(): Call[]
  close(): void
}

/** A folder of wrappers in front of the real programs, and the log they write. */
export function callLog(): CallLog {
  const dir = mkdtempSync(join(tmpdir(), 'bench-calls-'))
  const log = join(dir, 'calls.log')
  writeFileSync(log, '')
  for (const program of WRAPPED) {
    const real = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim()
    // `docker create` prints the container's id, which later calls (cp, rm) name: it is logged.
    const script = [
      '#!/bin/bash',
      's=${EPOCHREALTIME/./}',
      'if [[ "$1" == create ]]; then',
      `  out="$('${real}' "$@")"; rc=$?; printf '%s\\n' "$out"; id=" => \${out:0:12}"`,
      'else',
      `  '${real}' "$@"; rc=$?; id=""`,
      'fi',
      `printf '%s %s %s\\n' "$s" "\${EPOCHREALTIME/./}" "${program} $*$id" >>'${log}'`,
      'exit $rc',
      '',
    ].join('\n')
    writeFileSync(join(dir, program), script)
    chmodSync(join(dir, program), 0o755)
  }
  // The action runs the buildx plugin itself (src/ports/docker-cli.ts): a wrapper in front of it,
  // in a Docker config of its own, logs those calls as `docker buildx …`.
  const plugin = buildxPlugin()
  const config = join(dir, 'docker-config')
  if (plugin !== undefined)
    pluginWrapper(
      config,
      process.env.DOCKER_CONFIG || join(homedir(), '.docker'),
      [
        '#!/bin/bash',
        // Run by the docker CLI (its metadata question, or a call it sets this for): the docker
        // wrapper has logged it.
        `[[ -n "\${DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND:-}" || "$1" == docker-cli-plugin-metadata ]] && exec '${plugin}' "$@"`,
        's=${EPOCHREALTIME/./}',
        `'${plugin}' "$@"; rc=$?`,
        `printf '%s %s %s\\n' "$s" "\${EPOCHREALTIME/./}" "docker buildx $*" >>'${log}'`,
        'exit $rc',
        '',
      ].join('\n'),
      true,
    )
  return {
    env: {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      ...(plugin !== undefined ? { DOCKER_CONFIG: config } : {}),
    },
    read: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const [start = '0', end = '0', ...command] = line.split(' ')
          return {
            startMs: Number(start) / 1000,
            endMs: Number(end) / 1000,
            command: command.join(' '),
          }
        }),
    close: () => {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** What a call is, without its references: "docker buildx imagetools inspect", "docker run -d". */
export function kindOf(command: string): string {
  const [program = '', ...args] = command.split(' ')
  if (program === 'docker' && args[0] === 'run')
    return args.includes('--detach') || args.includes('-d') ? 'docker run -d' : 'docker run --rm'
  if (program === 'docker' && args[0] === 'rm') return 'docker rm -f'
  // Options and their values are not the kind; git's come before its subcommand (-c, -C).
  const words = args.filter(
    (w, i) => !w.startsWith('-') && !['-c', '-C', '--format'].includes(args[i - 1] ?? ''),
  )
  const depth =
    program === 'docker'
      ? words[0] === 'buildx'
        ? words[1] === 'imagetools'
          ? 3
          : 2
        : 1
      : program === 'git'
        ? 1
        : 0
  return [program, ...words.slice(0, depth)].join(' ')
}

/** The time covered by the union of intervals (parallel ones count once). */
export function coveredMs(spans: readonly { startMs: number; endMs: number }[]): number {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs)
  let total = 0
  let end = -Infinity
  for (const s of sorted) {
    if (s.endMs <= end) continue
    total += s.endMs - Math.max(s.startMs, end)
    end = s.endMs
  }
  return total
}
