// Start-up: how long the bundle takes from process start to the first step, measured as the
// wall time of a run that fails on an invalid input (it exits right after parsing inputs,
// before any side effect), beside a bare `node -e ''`.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../../__tests__/support/stack.js'
import { median } from './stats.js'

const BUNDLE = join(REPO_ROOT, 'dist', 'index.js')
const PEAK_RSS = join(REPO_ROOT, 'bench', 'peak-rss.mjs')

export interface Startup {
  readonly bundleBytes: number
  readonly runs: number
  readonly nodeMs: readonly number[]
  readonly actionMs: readonly number[]
  readonly medianNodeMs: number
  readonly medianActionMs: number
  /** The same with NODE_COMPILE_CACHE set (V8's code cache on disk, filled by an earlier run). */
  readonly medianCachedActionMs: number
  /** Peak RSS of `node -e ''` and of the action up to its first step, in KiB. */
  readonly nodeRssKb: number
  readonly actionRssKb: number
}

/** The environment the runner gives the action (as runAction builds it), with mode: nope. */
function invalidInputEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_WORKSPACE: join(REPO_ROOT, 'example'),
    INPUT_IMAGE: '127.0.0.1:5000/bench/startup',
    INPUT_MODE: 'nope',
  }
}

/** The peak resident memory of one such process, in KiB (bench/peak-rss.mjs writes it). */
function peakRss(node: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rss-'))
  const file = join(dir, 'rss')
  spawnSync(node, args, {
    env: { ...env, NODE_OPTIONS: `--import ${PEAK_RSS}`, BENCH_PEAK_RSS_FILE: file },
  })
  const kib = Number(readFileSync(file, 'utf8'))
  rmSync(dir, { recursive: true })
  return kib
}

/** The wall time of one process, spawn to exit, in milliseconds. */
function wallTime(
  node: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { ms: number; stdout: string; status: number | null } {
  const started = process.hrtime.bigint()
  const result = spawnSync(node, args, { env, encoding: 'utf8' })
  return {
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    stdout: result.stdout,
    status: result.status,
  }
}

/** Start-up with the given node (the runner's Node 24). */
export function measureStartup(runs: number, node: string): Startup {
  const env = invalidInputEnv()
  const bare = { PATH: env.PATH }
  // One untimed run of each fills the page cache.
  wallTime(node, ['-e', ''], bare)
  const check = wallTime(node, [BUNDLE], env)
  if (check.status !== 1 || !check.stdout.includes("::error::Input 'mode'"))
    throw new Error(
      `node dist/index.js with INPUT_MODE=nope did not fail on the input:\n${check.stdout}`,
    )
  const nodeMs: number[] = []
  const actionMs: number[] = []
  const cachedMs: number[] = []
  const cacheDir = mkdtempSync(join(tmpdir(), 'bench-compile-cache-'))
  const cached = { ...env, NODE_COMPILE_CACHE: cacheDir }
  wallTime(node, [BUNDLE], cached)
  // Interleaved, so a burst of load on the machine hits both alike.
  for (let i = 0; i < runs; i++) {
    nodeMs.push(wallTime(node, ['-e', ''], bare).ms)
    actionMs.push(wallTime(node, [BUNDLE], env).ms)
    cachedMs.push(wallTime(node, [BUNDLE], cached).ms)
  }
  rmSync(cacheDir, { recursive: true, force: true })
  return {
    bundleBytes: statSync(BUNDLE).size,
    runs,
    nodeMs,
    actionMs,
    medianNodeMs: median(nodeMs),
    medianActionMs: median(actionMs),
    medianCachedActionMs: median(cachedMs),
    nodeRssKb: peakRss(node, ['-e', ''], bare),
    actionRssKb: peakRss(node, [BUNDLE], env),
  }
}
