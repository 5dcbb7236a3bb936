// The two things compared: the bundled action (run as the runner runs it, against a git
// checkout of example/ and the GitHub stand-in) and the hand-written script bench/by-hand.sh.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addCommit, createFixtureRepo } from '../../__tests__/support/fixture-repo.js'
import { releaseWorld, type ReleaseWorld } from '../../__tests__/support/release-world.js'
import { REGISTRY, REPO_ROOT } from '../../__tests__/support/stack.js'

const BY_HAND = join(REPO_ROOT, 'bench', 'by-hand.sh')
const PEAK_RSS = join(REPO_ROOT, 'bench', 'peak-rss.mjs')

/** Changed by every release, so each release is a new commit; .dockerignore keeps it out of the image. */
const ROUND_FILE = 'bench-round.txt'
const BENCH_FILES = { '.dockerignore': `${ROUND_FILE}\n`, [ROUND_FILE]: '0\n' }

/** One release, timed. */
export interface Timing {
  readonly totalMs: number
  readonly buildMs: number
  readonly smokeMs: number
  /** Everything but the build and the smoke containers: total − build − smoke. */
  readonly overheadMs: number
  /** The action's steps (its job summary) or the script's phases. */
  readonly parts: Readonly<Record<string, number>>
  /** Each platform's own smoke time, from the action's summary (empty for the script). */
  readonly platformSmokeMs: readonly number[]
  /** The action's smoke checks (pull, architecture, run …, http …): each platform's time. */
  readonly checksMs: Readonly<Record<string, readonly number[]>>
  /** The action process's peak resident memory. */
  readonly peakRssKb?: number
  /** The build steps BuildKit took from a cache, of all steps (the action's summary). */
  readonly cache?: { readonly cached: number; readonly steps: number }
}

export interface ReleaseHooks {
  readonly env?: Record<string, string>
  readonly onSpawn?: (child: ChildProcess) => void
}

/** Every image repository this run pushed to, so the engine's copies can be removed at the end. */
export const pushedImages = new Set<string>()

/** An image repository of its own in the loopback registry, under bench/. */
export function benchImage(label: string): { name: string; path: string } {
  const path = `bench/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  pushedImages.add(`${REGISTRY}/${path}`)
  return { name: `${REGISTRY}/${path}`, path }
}

/** The step times of the job summary's step table, e.g. `| build | done | 0.8 s |`. */
export function stepTimes(summary: string): Record<string, number> {
  const table = summary.slice(summary.lastIndexOf('| Step | Outcome | Time |'))
  const times: Record<string, number> = {}
  for (const [, name = '', seconds = '0'] of table.matchAll(
    /^\| ([\w-]+) \| [^|]* \| ([\d.]+) s \|$/gm,
  ))
    times[name] = Number(seconds) * 1000
  return times
}

/** Each platform's own smoke time: the Duration column of the summary's platform table. */
export function platformSmokeTimes(summary: string): number[] {
  return [...summary.matchAll(/^\| (?:[\w-]+ \| )?linux\/\S+ \| .* \| ([\d.]+) s \|$/gm)].map(
    ([, seconds = '0']) => Number(seconds) * 1000,
  )
}

/** The time of each smoke check the action logs, e.g. `linux/arm64: pull: ok (…) in 0.2 s`. */
export function checkTimes(stdout: string): Record<string, number[]> {
  const times: Record<string, number[]> = {}
  const line =
    /^.*?linux\/[^:]+: (pull|architecture|run [^:]*|http [^:]*): ok \(.*\) in ([\d.]+) s$/gm
  for (const [, name = '', seconds = '0'] of stdout.matchAll(line))
    times[name] = [...(times[name] ?? []), Number(seconds) * 1000]
  return times
}

/** The wall time of a child process, from its spawn to its exit. */
function clock(hooks: ReleaseHooks): { onSpawn: (child: ChildProcess) => void; ms: () => number } {
  let started = 0
  let ended = 0
  return {
    onSpawn: (child) => {
      started = performance.now()
      child.on('close', () => (ended = performance.now()))
      hooks.onSpawn?.(child)
    },
    ms: () => ended - started,
  }
}

/** The bundled action on its own fixture checkout, stand-in and image repository. */
/** The summary's cache note, e.g. `build cache: 4 of 4 steps cached`. */
export function cacheHits(summary: string): Pick<Timing, 'cache'> {
  const match = /build cache: (\d+) of (\d+) steps cached/.exec(summary)
  return match ? { cache: { cached: Number(match[1]), steps: Number(match[2]) } } : {}
}

export class ActionSubject {
  private releases = 0
  private readonly tmp = mkdtempSync(join(tmpdir(), 'bench-action-'))

  private constructor(
    private readonly world: ReleaseWorld,
    private readonly inputs: Record<string, string>,
  ) {}

  static async create(
    label: string,
    inputs: Record<string, string>,
    files: Record<string, string> = {},
  ): Promise<ActionSubject> {
    const world = await releaseWorld(label, { ...BENCH_FILES, ...files }, benchImage(label))
    return new ActionSubject(world, inputs)
  }

  get github(): ReleaseWorld['github'] {
    return this.world.github
  }

  get image(): ReleaseWorld['image'] {
    return this.world.image
  }

  /** A release of a new commit (only the ignored round file changes) under a new version. */
  async release(hooks: ReleaseHooks = {}): Promise<Timing> {
    const n = ++this.releases
    const sha = addCommit(this.world.repo.dir, { [ROUND_FILE]: `${n}\n` })
    // The stand-in knows the commit, as GitHub knows a pushed one.
    this.world.github.seedCommits('acme', 'app', [{ sha, message: `bench round ${n}` }])
    this.world.github.setBranch('acme', 'app', 'main', sha)
    const rssFile = join(this.tmp, `peak-rss-${n}`)
    const time = clock(hooks)
    const run = await this.world.run(
      { ...this.inputs, version: `1.0.${n}` },
      {
        sha,
        env: { NODE_OPTIONS: `--import ${PEAK_RSS}`, BENCH_PEAK_RSS_FILE: rssFile, ...hooks.env },
        onSpawn: time.onSpawn,
      },
    )
    if (run.exitCode !== 0)
      throw new Error(`the action failed (exit ${run.exitCode}):\n${run.errors.join('\n')}`)
    const parts = stepTimes(run.summary)
    const totalMs = time.ms()
    const buildMs = parts.build ?? 0
    const smokeMs = parts.smoke ?? 0
    return {
      totalMs,
      buildMs,
      smokeMs,
      overheadMs: totalMs - buildMs - smokeMs,
      parts,
      platformSmokeMs: platformSmokeTimes(run.summary),
      checksMs: checkTimes(run.stdout),
      ...(existsSync(rssFile) ? { peakRssKb: Number(readFileSync(rssFile, 'utf8')) } : {}),
      ...cacheHits(run.summary),
    }
  }

  /** Stops the stand-in and removes the checkout (each holds a copy of example/bin). */
  async close(): Promise<void> {
    await this.world.github.close()
    rmSync(this.world.repo.dir, { recursive: true, force: true })
    rmSync(this.tmp, { recursive: true, force: true })
  }
}

/** Runs a program; its exit code, stderr and wall time. */
function run(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  hooks: ReleaseHooks,
): Promise<{ code: number; stderr: string; ms: number }> {
  const time = clock(hooks)
  const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  time.onSpawn(child)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) =>
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stderr, ms: time.ms() })
    }),
  )
}

/** The hand-written script on its own copy of the same checkout and its own image repository. */
export class ScriptSubject {
  private releases = 0
  private readonly tmp = mkdtempSync(join(tmpdir(), 'bench-script-'))
  private readonly dir = createFixtureRepo(BENCH_FILES).dir

  readonly image: { name: string; path: string }

  constructor(
    label: string,
    private readonly platforms: string,
    /** buildx --provenance, as the action's provenance input. */
    private readonly provenance = 'false',
  ) {
    this.image = benchImage(label)
  }

  /** A release under a new version; the round file changes as in the action's checkout. */
  async release(hooks: ReleaseHooks = {}): Promise<Timing> {
    const n = ++this.releases
    writeFileSync(join(this.dir, ROUND_FILE), `${n}\n`)
    const phasesFile = join(this.tmp, `phases-${n}`)
    const args = [BY_HAND, this.image.name, `1.0.${n}`, this.platforms, this.dir]
    const env = {
      ...process.env,
      PROVENANCE: this.provenance,
      BENCH_TIMINGS: phasesFile,
      ...hooks.env,
    }
    const result = await run('bash', args, env, hooks)
    if (result.code !== 0)
      throw new Error(`bench/by-hand.sh failed (exit ${result.code}):\n${result.stderr}`)
    const parts: Record<string, number> = {}
    for (const line of readFileSync(phasesFile, 'utf8').trim().split('\n')) {
      const [name = '', seconds = '0'] = line.split(' ')
      parts[name] = Number(seconds) * 1000
    }
    const buildMs = parts.build ?? 0
    const smokeMs = parts.smoke ?? 0
    return {
      totalMs: result.ms,
      buildMs,
      smokeMs,
      overheadMs: result.ms - buildMs - smokeMs,
      parts,
      platformSmokeMs: [],
      checksMs: {},
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(this.tmp, { recursive: true, force: true })
  }
}
