// What the figures were measured on, and the engine chores around the measurements.
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { STACK } from '../../__tests__/support/engine-stack.js'
import { node24 } from '../../__tests__/support/node24.js'

export interface Machine {
  readonly cpuModel: string
  readonly cpus: number
  readonly memoryGB: number
  readonly kernel: string
  readonly node: string
  readonly dockerClient: string
  readonly dockerServer: string
  readonly buildx: string
  readonly builder: string
  readonly containerdStore: boolean
  /** The engine stack measured (MULTIARCH_STACK, as the end-to-end tests name it), described. */
  readonly stack?: string
}

/** A command's trimmed output, or "?" when it fails (a description must not stop the run). */
function output(program: string, args: readonly string[]): string {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .replace(/\s+/g, ' ')
  } catch {
    return '?'
  }
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const inspect = output('docker', ['buildx', 'inspect'])
  return {
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? '?',
    cpus: (cpuinfo.match(/^processor\s*:/gm) ?? []).length || cpus().length,
    memoryGB: Math.round((totalmem() / 1e9) * 10) / 10,
    kernel: release(),
    // the Node.js that runs the bundle (action.yml: node24), not the one running the benchmark
    node: output(node24(), ['--version']),
    dockerClient: output('docker', ['version', '--format', '{{.Client.Version}}']),
    dockerServer: output('docker', ['version', '--format', '{{.Server.Version}}']),
    buildx: output('docker', ['buildx', 'version']).split(' ')[1] ?? '?',
    builder: `${/Name:\s*(\S+)/.exec(inspect)?.[1] ?? '?'} (${/Driver:\s*(\S+)/.exec(inspect)?.[1] ?? '?'} driver)`,
    containerdStore: output('docker', ['info', '--format', '{{json .DriverStatus}}']).includes(
      'io.containerd.snapshotter',
    ),
    stack: `${STACK.name}: ${STACK.description}`,
  }
}

export interface CiWatch {
  /** Whether a CI run (.ci/run) used the engine at any moment since the watch began. */
  seen(): boolean
  stop(): void
}

/** Looks for a CI run every few seconds: its load on the engine would skew every figure. */
export function watchCi(everyMs = 5_000): CiWatch {
  let seen = false
  const look = (): void => {
    execFile('pgrep', ['-f', '.ci/run'], (error) => {
      if (error || seen) return
      seen = true
      console.warn('!! a CI run (.ci/run) is using the engine: the figures of this run are skewed')
    })
  }
  look()
  const timer = setInterval(look, everyMs)
  return {
    seen: () => seen,
    stop: () => {
      clearInterval(timer)
    },
  }
}

/** Which action was measured: the commit, whether dist/ differs from it, the bundle's hash. */
export interface ActionRevision {
  readonly commit: string
  readonly distModified: boolean
  readonly bundleSha256: string
}

export function actionRevision(repoRoot: string): ActionRevision {
  const bundle = readFileSync(join(repoRoot, 'dist', 'index.js'))
  return {
    commit: output('git', ['-C', repoRoot, 'rev-parse', '--short=12', 'HEAD']),
    distModified: output('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'dist']) !== '',
    bundleSha256: createHash('sha256').update(bundle).digest('hex'),
  }
}

/** Empties BuildKit's cache, so the next build starts cold. */
export function pruneBuildCache(): void {
  execFileSync('docker', ['buildx', 'prune', '--all', '--force'], { stdio: 'ignore' })
}

/** Removes the engine's copies (pushed or pulled) of the given repositories' images. */
export function removeLocalImages(repositories: ReadonlySet<string>): number {
  const format = '{{.Repository}} {{.Tag}} {{.ID}}'
  const listed = execFileSync('docker', ['image', 'ls', '--no-trunc', '--format', format], {
    encoding: 'utf8',
  })
  // Pulled by digest, an image has no tag: its name is repository@id.
  const mine = listed
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([repository = '']) => repositories.has(repository))
    .map(([repository = '', tag = '', id = '']) =>
      tag !== '<none>' ? `${repository}:${tag}` : `${repository}@${id}`,
    )
  // Best effort: an image another reference still uses stays, which is fine.
  for (let i = 0; i < mine.length; i += 50)
    spawnSync('docker', ['image', 'rm', '--force', ...mine.slice(i, i + 50)], { stdio: 'ignore' })
  return mine.length
}

export interface LoadSummary {
  /** The 1-minute load average when the measurements began. */
  readonly atStart: number
  /** The 1-minute load average sampled every few seconds during the run: median and maximum. */
  readonly median: number
  readonly max: number
  /**
   * Cores busy with processes that are neither the benchmark's own (its process tree) nor the
   * shared engine (dockerd, containerd, BuildKit, QEMU, the registry): other people's work.
   */
  readonly othersMedianCores: number
  readonly othersMaxCores: number
  /** The busiest of those processes, by CPU time during the run. */
  readonly othersTop: readonly string[]
  /** The limit a quiet machine stays under (--max-load). */
  readonly limit: number
  /** The load was under the limit at the start and others used at most 0.3 cores (median). */
  readonly quiet: boolean
}

export interface LoadWatch {
  summary(): LoadSummary
  stop(): void
}

interface ProcSample {
  readonly ppid: number
  readonly ticks: number
  readonly name: string
}

/** Every process's parent, CPU ticks (user + system) and command name, from /proc. */
function readProcs(): Map<number, ProcSample> {
  const procs = new Map<number, ProcSample>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const name = stat.slice(stat.indexOf('(') + 1, close)
      const fields = stat.slice(close + 2).split(' ')
      procs.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        name,
      })
    } catch {
      // gone meanwhile
    }
  }
  return procs
}

const ENGINE =
  /^(dockerd|containerd|containerd-shim.*|buildkitd|registry|docker-registry|qemu-.*|runc|docker-proxy)$/

/**
 * Samples the 1-minute load average and who uses the CPU every few seconds: the benchmark's own
 * process tree, the shared engine, and everybody else.
 */
export function watchLoad(limit: number, everyMs = 5_000): LoadWatch {
  const hz = 100
  const atStart = loadavg()[0] ?? 0
  const loads: number[] = [atStart]
  const others: number[] = []
  const byName = new Map<string, number>()
  let previous = readProcs()
  let previousAt = Date.now()
  const sample = (): void => {
    const now = readProcs()
    const at = Date.now()
    const ours = new Set<number>([process.pid])
    // Parents come before children often but not always: repeat until nothing is added.
    for (let grew = true; grew;) {
      grew = false
      for (const [pid, p] of now)
        if (!ours.has(pid) && ours.has(p.ppid)) {
          ours.add(pid)
          grew = true
        }
    }
    let otherTicks = 0
    for (const [pid, p] of now) {
      if (ours.has(pid) || ENGINE.test(p.name)) continue
      const used = p.ticks - (previous.get(pid)?.ticks ?? p.ticks)
      if (used <= 0) continue
      otherTicks += used
      byName.set(p.name, (byName.get(p.name) ?? 0) + used)
    }
    others.push(otherTicks / hz / ((at - previousAt) / 1000))
    loads.push(loadavg()[0] ?? 0)
    previous = now
    previousAt = at
  }
  const timer = setInterval(sample, everyMs)
  timer.unref()
  const mid = (values: readonly number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
  return {
    summary: () => {
      const othersMedianCores = mid(others)
      return {
        atStart,
        median: mid(loads),
        max: Math.max(...loads),
        othersMedianCores,
        othersMaxCores: Math.max(0, ...others),
        othersTop: [...byName]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([name, ticks]) => `${name} ${(ticks / hz).toFixed(0)} s`),
        limit,
        quiet: atStart <= limit && othersMedianCores <= 0.3,
      }
    },
    stop: () => {
      clearInterval(timer)
    },
  }
}

/** Waits until the 1-minute load average is under the limit, at most `maxWaitMs`; the load then. */
export async function waitForQuiet(
  limit: number,
  maxWaitMs: number,
  log: (message: string) => void,
): Promise<number> {
  const until = Date.now() + maxWaitMs
  for (;;) {
    const load = loadavg()[0] ?? 0
    if (load <= limit) return load
    if (Date.now() >= until) {
      log(
        `the load is still ${load.toFixed(2)} (limit ${limit}): measuring anyway, marked as under load`,
      )
      return load
    }
    log(`load average ${load.toFixed(2)} > ${limit}: waiting for a quieter machine`)
    await new Promise((resolve) => setTimeout(resolve, 30_000))
  }
}
