// What the figures were measured on, and the engine chores around the measurements.
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
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
