// What the benchmark compares (issue 19): the bundled action (run as the runner runs it, on
// Node 24, against a git checkout and the GitHub stand-in), the lean hand-written release
// (bench/lean.sh), the longer one (bench/by-hand.sh) and the floor (bench/floor.sh: a bare
// `buildx build --push` of the final tags).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addCommit, createFixtureRepo } from '../../__tests__/support/fixture-repo.js'
import { releaseWorld, type ReleaseWorld } from '../../__tests__/support/release-world.js'
import { REGISTRY, REPO_ROOT } from '../../__tests__/support/stack.js'
import { linkData, type BenchImage } from './images.js'

const PEAK_RSS = join(REPO_ROOT, 'bench', 'peak-rss.mjs')

/** Changed by every release, so each release is a new commit; .dockerignore keeps it out of the image. */
const ROUND_FILE = 'bench-round.txt'
const BENCH_FILES = { '.dockerignore': `${ROUND_FILE}\n`, [ROUND_FILE]: '0\n' }

export type SubjectName = 'action' | 'lean' | 'floor' | 'by-hand'

/** A step of the action, from its job summary's timeline, relative to the process start. */
export interface StepSpan {
  readonly name: string
  readonly startMs: number
  readonly endMs: number
}

/** One release, timed. */
export interface Timing {
  readonly totalMs: number
  readonly buildMs: number
  readonly smokeMs: number
  /** Everything but the build and the smoke: total − build − smoke. */
  readonly overheadMs: number
  /** The action's steps (ms, from the summary's timeline) or the script's phases. */
  readonly parts: Readonly<Record<string, number>>
  /** The action's steps in time, from its process start (empty for the scripts). */
  readonly timeline: readonly StepSpan[]
  /** Each platform's own smoke time: the action's log line arrival after the smoke step began, the lean script's phase. */
  readonly platformSmokeMs: Readonly<Record<string, number>>
  /** The action's smoke checks (pull, architecture, http …): each platform's time (0.1 s steps). */
  readonly checksMs: Readonly<Record<string, readonly number[]>>
  /** The action process's peak resident memory. */
  readonly peakRssKb?: number
  /** When the action's process started (epoch ms): the timeline's origin. */
  readonly spawnedAtMs?: number
  /** The build steps BuildKit took from a cache, of all steps (the action's summary). */
  readonly cache?: { readonly cached: number; readonly steps: number }
}

export interface ReleaseHooks {
  readonly env?: Record<string, string>
  readonly onSpawn?: (child: ChildProcess) => void
  /** Extra inputs for this release only (the action). */
  readonly inputs?: Record<string, string>
}

export interface Subject {
  readonly name: SubjectName
  readonly image: { readonly name: string; readonly path: string }
  release(hooks?: ReleaseHooks): Promise<Timing>
  close(): Promise<void>
}

/** Every image repository this run pushed to, so the engine's copies can be removed at the end. */
export const pushedImages = new Set<string>()

/** An image repository of its own under bench/, in the loopback registry or another (a meter). */
export function benchImage(label: string, registry = REGISTRY): { name: string; path: string } {
  const path = `bench/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  pushedImages.add(`${registry}/${path}`)
  return { name: `${registry}/${path}`, path }
}

/** The steps of the summary's Mermaid timeline: `  build :done, step2, 1700000000000, 1700000000500`. */
export function timelineOf(summary: string, processStartEpochMs: number): StepSpan[] {
  return [...summary.matchAll(/^ {2}([\w. /()+-]+?) :\w+, step\d+, (\d+), (\d+)$/gm)].map(
    ([, name = '', start = '0', end = '0']) => ({
      name,
      startMs: Number(start) - processStartEpochMs,
      endMs: Number(end) - processStartEpochMs,
    }),
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

/** The summary's cache note, e.g. `build cache: 4 of 4 steps cached`. */
export function cacheHits(summary: string): Pick<Timing, 'cache'> {
  const match = /build cache: (\d+) of (\d+) steps cached/.exec(summary)
  return match ? { cache: { cached: Number(match[1]), steps: Number(match[2]) } } : {}
}

/** Timestamps (epoch ms) each line a child prints as it arrives (stdout to a pipe is synchronous on Linux). */
export function lineClock(): {
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

/** When each platform's smoke finished (`smoke 1/2 linux/arm64 passed in 0.6 s`), epoch ms. */
function smokeFinishes(lines: readonly { ms: number; text: string }[]): Record<string, number> {
  const done: Record<string, number> = {}
  for (const { ms, text } of lines) {
    const match = /^smoke \d+\/\d+ (.+) passed in [\d.]+ s$/.exec(text)
    if (match?.[1]) done[match[1]] = ms
  }
  return done
}

/** The Node.js the runner runs the action with (node24 in action.yml): $NODE24, or setup-stack.sh's file. */
export function node24(): string {
  const fromEnv = process.env.NODE24
  if (fromEnv) return fromEnv
  const file = '/etc/multiarch-release/node24.env'
  const path = existsSync(file) ? /^NODE24=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1] : undefined
  if (!path || !existsSync(path))
    throw new Error(
      `Node.js 24 not found: set NODE24, or run scripts/setup-stack.sh (it writes ${file})`,
    )
  return path
}

function checkoutFiles(image: BenchImage): Record<string, string> {
  return { ...BENCH_FILES, ...image.files }
}

export interface SubjectOptions {
  /** The registry (host:port) to push to: the loopback one, or a meter in front of it. */
  readonly registry?: string
  /** Files added to the checkout's commit. */
  readonly files?: Record<string, string>
  /** Called with the checkout once it exists (to add files kept out of git). */
  readonly prepare?: (dir: string) => void
}

/** The bundled action on its own checkout, stand-in and image repository, on Node 24. */
export class ActionSubject implements Subject {
  readonly name = 'action'
  private releases = 0
  private readonly tmp = mkdtempSync(join(tmpdir(), 'bench-action-'))

  private constructor(
    private readonly world: ReleaseWorld,
    private readonly inputs: Record<string, string>,
  ) {}

  static async create(
    label: string,
    image: BenchImage,
    inputs: Record<string, string>,
    options: SubjectOptions = {},
  ): Promise<ActionSubject> {
    const world = await releaseWorld(
      label,
      { ...checkoutFiles(image), ...options.files },
      benchImage(label, options.registry),
    )
    if (image.data) linkData(world.repo.dir)
    options.prepare?.(world.repo.dir)
    return new ActionSubject(world, inputs)
  }

  get github(): ReleaseWorld['github'] {
    return this.world.github
  }

  get image(): ReleaseWorld['image'] {
    return this.world.image
  }

  get checkout(): string {
    return this.world.repo.dir
  }

  /** A release of a new commit (only the ignored round file changes) under a new version. */
  async release(hooks: ReleaseHooks = {}): Promise<Timing> {
    const n = ++this.releases
    const sha = addCommit(this.world.repo.dir, { [ROUND_FILE]: `${n}\n` })
    // The stand-in knows the commit, as GitHub knows a pushed one.
    this.world.github.seedCommits('acme', 'app', [{ sha, message: `bench round ${n}` }])
    this.world.github.setBranch('acme', 'app', 'main', sha)
    const rssFile = join(this.tmp, `peak-rss-${n}`)
    const lines = lineClock()
    let spawnedAt = 0
    let startedAt = 0
    let endedAt = 0
    const run = await this.world.run(
      { ...this.inputs, ...hooks.inputs, version: `1.0.${n}` },
      {
        sha,
        // A push event's payload names the repository and its default branch, as GitHub's does.
        payload: {
          ref: 'refs/heads/main',
          after: sha,
          repository: { full_name: 'acme/app', default_branch: 'main' },
        },
        node: node24(),
        env: { NODE_OPTIONS: `--import ${PEAK_RSS}`, BENCH_PEAK_RSS_FILE: rssFile, ...hooks.env },
        onSpawn: (child) => {
          spawnedAt = Date.now()
          startedAt = performance.now()
          child.on('close', () => (endedAt = performance.now()))
          lines.onSpawn(child)
          hooks.onSpawn?.(child)
        },
      },
    )
    if (run.exitCode !== 0)
      throw new Error(`the action failed (exit ${run.exitCode}):\n${run.errors.join('\n')}`)
    const timeline = timelineOf(run.summary, spawnedAt)
    const parts = Object.fromEntries(timeline.map((s) => [s.name, s.endMs - s.startMs]))
    const totalMs = endedAt - startedAt
    const buildMs = parts.build ?? 0
    const smokeMs = parts.smoke ?? 0
    const smokeStart = spawnedAt + (timeline.find((s) => s.name === 'smoke')?.startMs ?? 0)
    const platformSmokeMs = Object.fromEntries(
      Object.entries(smokeFinishes(lines.lines)).map(([p, ms]) => [p, ms - smokeStart]),
    )
    return {
      totalMs,
      buildMs,
      smokeMs,
      overheadMs: totalMs - buildMs - smokeMs,
      parts,
      timeline,
      platformSmokeMs,
      checksMs: checkTimes(run.stdout),
      spawnedAtMs: spawnedAt,
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
function runTimed(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  hooks: ReleaseHooks,
): Promise<{ code: number; stderr: string; ms: number }> {
  const started = performance.now()
  const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  hooks.onSpawn?.(child)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) =>
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stderr, ms: performance.now() - started })
    }),
  )
}

const SCRIPTS: Record<Exclude<SubjectName, 'action'>, string> = {
  lean: join(REPO_ROOT, 'bench', 'lean.sh'),
  'by-hand': join(REPO_ROOT, 'bench', 'by-hand.sh'),
  floor: join(REPO_ROOT, 'bench', 'floor.sh'),
}

/** A hand-written release script on its own copy of the checkout and its own image repository. */
export class ScriptSubject implements Subject {
  private releases = 0
  private readonly tmp = mkdtempSync(join(tmpdir(), 'bench-script-'))
  private readonly dir: string
  readonly image: { name: string; path: string }

  constructor(
    readonly name: Exclude<SubjectName, 'action'>,
    label: string,
    image: BenchImage,
    private readonly platforms: string,
    registry = REGISTRY,
  ) {
    this.dir = createFixtureRepo(checkoutFiles(image)).dir
    if (image.data) linkData(this.dir)
    this.image = benchImage(label, registry)
  }

  /** A release under a new version; the round file changes as in the action's checkout. */
  async release(hooks: ReleaseHooks = {}): Promise<Timing> {
    const n = ++this.releases
    writeFileSync(join(this.dir, ROUND_FILE), `${n}\n`)
    const phasesFile = join(this.tmp, `phases-${n}`)
    const args = [SCRIPTS[this.name], this.image.name, `1.0.${n}`, this.platforms, this.dir]
    // by-hand.sh passes PROVENANCE to --provenance; buildx's own default is what the others get.
    const env = { ...process.env, PROVENANCE: 'mode=min', BENCH_TIMINGS: phasesFile, ...hooks.env }
    const result = await runTimed('bash', args, env, hooks)
    if (result.code !== 0)
      throw new Error(`bench/${this.name}.sh failed (exit ${result.code}):\n${result.stderr}`)
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
      timeline: [],
      platformSmokeMs: Object.fromEntries(
        Object.entries(parts).flatMap(([k, v]) =>
          k.startsWith('smoke:') ? [[k.slice(6), v]] : [],
        ),
      ),
      checksMs: {},
    }
  }

  close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(this.tmp, { recursive: true, force: true })
    return Promise.resolve()
  }
}
