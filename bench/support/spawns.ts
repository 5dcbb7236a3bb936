// Where the overhead goes: one release of each subject with docker, git and jq behind a wrapper
// that logs every call's start, end and arguments, so the process spawns outside the build and
// the smoke containers can be counted and timed.
import { execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { median } from './stats.js'
import type { ActionSubject, ScriptSubject, Timing } from './subjects.js'

const WRAPPED = ['docker', 'git', 'jq']

interface Call {
  readonly startMs: number
  readonly endMs: number
  readonly command: string
}

/** Processes of one kind or purpose. */
export interface CallGroup {
  readonly name: string
  readonly count: number
  /** The time during which at least one of them ran (parallel calls count once). */
  readonly busyMs: number
  readonly medianMs: number
}

export interface SpawnAnalysis {
  readonly timing: Timing
  /** Every docker/git/jq process of the release. */
  readonly spawns: number
  /** Those outside the build and the smoke containers. */
  readonly overheadSpawns: number
  readonly overheadSpawnWallMs: number
  /** The same, by kind ("docker buildx imagetools inspect") and by what they are for. */
  readonly overheadKinds: readonly CallGroup[]
  readonly overheadPurposes: readonly CallGroup[]
  /** Requests to the GitHub API (the action only). */
  readonly apiRequests?: number
}

/** A folder of wrappers in front of the real programs, and the log they write. */
function wrappers(): { env: Record<string, string>; log: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spawns-'))
  const log = join(dir, 'calls.log')
  writeFileSync(log, '')
  for (const program of WRAPPED) {
    const real = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim()
    const script = [
      '#!/bin/bash',
      's=${EPOCHREALTIME/./}',
      `'${real}' "$@"`,
      'rc=$?',
      `printf '%s %s %s\\n' "$s" "\${EPOCHREALTIME/./}" "${program} $*" >>'${log}'`,
      'exit $rc',
      '',
    ].join('\n')
    writeFileSync(join(dir, program), script)
    chmodSync(join(dir, program), 0o755)
  }
  return { env: { PATH: `${dir}:${process.env.PATH ?? ''}` }, log, dir }
}

function readCalls(log: string): Call[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [start = '0', end = '0', ...command] = line.split(' ')
      return {
        startMs: Number(start) / 1000,
        endMs: Number(end) / 1000,
        command: command.join(' '),
      }
    })
}

/** What a call is, without its references: "docker buildx imagetools inspect", "git log". */
export function kindOf(command: string): string {
  const [program = '', ...args] = command.split(' ')
  // Options and their values are not the kind; git's come before its subcommand (-c, -C).
  const words = args.filter(
    (w, i) => !w.startsWith('-') && !['-c', '-C'].includes(args[i - 1] ?? ''),
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

/** Calls grouped by a key, the costliest first. */
function groupBy(calls: readonly Call[], key: (call: Call) => string): CallGroup[] {
  const groups = new Map<string, Call[]>()
  for (const call of calls) groups.set(key(call), [...(groups.get(key(call)) ?? []), call])
  return [...groups]
    .map(([name, members]) => ({
      name,
      count: members.length,
      busyMs: coveredMs(members),
      medianMs: median(members.map((c) => c.endMs - c.startMs)),
    }))
    .sort((a, b) => b.busyMs - a.busyMs)
}

/** What an action's process outside the build and smoke is for, from its arguments. */
function actionPurpose(call: Call, buildEndMs: number): string {
  const kind = kindOf(call.command)
  if (/^docker (info|version)$|^docker buildx (version|inspect)$/.test(kind))
    return 'preflight: engine and builder'
  if (kind.startsWith('git ')) return 'preflight, plan: the workspace commit'
  if (call.command.includes(':multiarch-release-access-check'))
    return 'preflight: registry access probe'
  if (kind === 'docker buildx imagetools create')
    return call.command.includes(':verified-') ? 'mark-verified: marker tag' : 'promote: tag writes'
  if (kind === 'docker buildx imagetools inspect') {
    if (call.startMs < buildEndMs) return 'plan: version tag and verified marker'
    if (call.command.includes('@sha256:')) return 'assert-manifest: index and platform configs'
    return 'promote, publish: tag reads and read-backs'
  }
  return kind
}

/** The time covered by the union of the calls' intervals (parallel calls count once). */
function coveredMs(calls: readonly Call[]): number {
  const sorted = [...calls].sort((a, b) => a.startMs - b.startMs)
  let total = 0
  let end = -Infinity
  for (const call of sorted) {
    if (call.endMs <= end) continue
    total += call.endMs - Math.max(call.startMs, end)
    end = call.endMs
  }
  return total
}

function analysis(
  timing: Timing,
  calls: Call[],
  overhead: Call[],
  purpose: (call: Call) => string,
  apiRequests?: number,
): SpawnAnalysis {
  return {
    timing,
    spawns: calls.length,
    overheadSpawns: overhead.length,
    overheadSpawnWallMs: coveredMs(overhead),
    overheadKinds: groupBy(overhead, (c) => kindOf(c.command)),
    overheadPurposes: groupBy(overhead, purpose),
    ...(apiRequests !== undefined ? { apiRequests } : {}),
  }
}

/** Timestamps each line the action prints, to find when its build and smoke groups ran. */
function lineClock(): {
  onSpawn: (child: ChildProcess) => void
  lines: { ms: number; text: string }[]
} {
  const lines: { ms: number; text: string }[] = []
  let pending = ''
  return {
    lines,
    onSpawn: (child) =>
      child.stdout?.on('data', (chunk: Buffer) => {
        const ms = performance.timeOrigin + performance.now()
        const parts = (pending + chunk.toString()).split('\n')
        pending = parts.pop() ?? ''
        for (const text of parts) lines.push({ ms, text })
      }),
  }
}

/** The time span of the log group whose title starts with `title`. */
function groupWindow(lines: { ms: number; text: string }[], title: string): [number, number] {
  const start = lines.findIndex((l) => l.text.startsWith(`::group::${title}`))
  const end = lines.findIndex((l, i) => i > start && l.text === '::endgroup::')
  if (start < 0 || end < 0) throw new Error(`the action's log has no '${title}' group`)
  return [lines[start]?.ms ?? 0, lines[end]?.ms ?? 0]
}

export async function actionSpawns(subject: ActionSubject): Promise<SpawnAnalysis> {
  const { env, log, dir } = wrappers()
  const stdout = lineClock()
  const requestsBefore = subject.github.requests.length
  const timing = await subject.release({ env, onSpawn: stdout.onSpawn })
  const calls = readCalls(log)
  rmSync(dir, { recursive: true, force: true })
  const build = groupWindow(stdout.lines, 'Build')
  const windows = [build, groupWindow(stdout.lines, 'Smoke tests')]
  // A call inside the build or the smoke group is part of the build or the smoke containers.
  const inside = (c: Call): boolean =>
    windows.some(([s, e]) => c.startMs >= s - 1 && c.endMs <= e + 1)
  const overhead = calls.filter((c) => !inside(c))
  const purpose = (c: Call): string => actionPurpose(c, build[1])
  return analysis(timing, calls, overhead, purpose, subject.github.requests.length - requestsBefore)
}

/** How long the registry itself takes to serve a manifest over HTTP: median of `times` GETs. */
export async function manifestGetMs(
  registry: string,
  path: string,
  tag: string,
  times = 10,
): Promise<number> {
  const accept =
    'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
  const durations: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    const response = await fetch(`http://${registry}/v2/${path}/manifests/${tag}`, {
      headers: { accept },
    })
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`GET ${path}:${tag}: ${response.status}`)
    durations.push(performance.now() - started)
  }
  return median(durations)
}

/** The script's build and smoke commands are known (buildx runs git to describe the context). */
const SCRIPT_BUILD_OR_SMOKE = /^docker (buildx build|pull|run|port|rm)\b|^jq |^git /

export async function scriptSpawns(subject: ScriptSubject): Promise<SpawnAnalysis> {
  const { env, log, dir } = wrappers()
  const timing = await subject.release({ env })
  const calls = readCalls(log)
  rmSync(dir, { recursive: true, force: true })
  const overhead = calls.filter((c) => !SCRIPT_BUILD_OR_SMOKE.test(c.command))
  const purpose = (c: Call): string =>
    c.command.includes('imagetools create') ? 'promote: tag writes' : 'inspect: the candidate'
  return analysis(timing, calls, overhead, purpose)
}
