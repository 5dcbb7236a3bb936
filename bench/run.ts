// npm run bench [-- --quick] [-- --rounds 5 --cold-rounds 5 --component-rounds 5 …]
// MULTIARCH_STACK=d26 npm run bench   (another engine stack; default: package.json's, the field's)
// npm run bench -- --report-only   (bench/README.md again from bench/results.json)
//
// Issue 19: the bundled action (Node 24, default settings) against the lean hand-written
// release (bench/lean.sh) and the floor (bench/floor.sh), on the codex-like and the realistic
// image, warm and cold, a new commit every round; then components, memory with a 200 MiB
// release asset, start-up, and where the smoke time goes. Writes bench/README.md and
// bench/results.json, and prints the change against the previous results.json.
import { execFileSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { STACK } from '../__tests__/support/engine-stack.js'
import { REGISTRY, REPO_ROOT, requireStack } from '../__tests__/support/stack.js'
import {
  CODEX,
  COMPONENT_DOCKERFILE,
  REALISTIC,
  REALISTIC_DATA_BYTES,
  releaseAsset,
  type BenchImage,
} from './support/images.js'
import { instrumentedReleases, type Instrumented } from './support/instrumented.js'
import {
  actionRevision,
  describeMachine,
  pruneBuildCache,
  removeLocalImages,
  waitForQuiet,
  watchCi,
  watchLoad,
  type CiWatch,
} from './support/machine.js'
import { measureEngineQuestions, measurePrimitives, type Primitive } from './support/primitives.js'
import { compareWithPrevious, renderReadme } from './support/report.js'
import {
  flatMetrics,
  series,
  type Comparison,
  type ComponentRow,
  type ImageSize,
  type Results,
  type Series,
} from './support/results.js'
import { measureStartup } from './support/startup.js'
import { ratio, sec } from './support/stats.js'
import {
  ActionSubject,
  ScriptSubject,
  benchImage,
  node24,
  pushedImages,
  type Subject,
  type SubjectName,
  type Timing,
} from './support/subjects.js'

const README = join(REPO_ROOT, 'bench', 'README.md')

/** Two platforms, one of them emulated: the issue's setting. */
const PLATFORMS = ['linux/amd64', 'linux/arm64']

/** The action's inputs: the health probe the lean script polls too; everything else default. */
const ACTION_INPUTS = { 'smoke-http': '8080/health', 'smoke-http-expect': 'ok' }

/** The release asset of the memory target: 200 MiB. */
const ASSET_BYTES = 200 * 1024 * 1024

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'cold-rounds': { type: 'string' },
    'component-rounds': { type: 'string' },
    'memory-rounds': { type: 'string' },
    instrumented: { type: 'string' },
    'primitive-reps': { type: 'string' },
    'startup-runs': { type: 'string' },
    /** The 1-minute load average a quiet machine stays under. */
    'max-load': { type: 'string', default: '1.5' },
    /** How long to wait for a quiet machine before measuring anyway (marked as under load). */
    'wait-quiet': { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
    /** Where the measurements are written and read (--report-only). */
    results: { type: 'string', default: join(REPO_ROOT, 'bench', 'results.json') },
    'remove-images': { type: 'boolean', default: false },
    /** Renders bench/README.md again from bench/results.json, measuring nothing. */
    'report-only': { type: 'boolean', default: false },
  },
})
const RESULTS = args.results
const quick = args.quick
const number = (value: string | undefined, full: number, fast: number): number =>
  value !== undefined ? Number(value) : quick ? fast : full
const options = {
  quick,
  rounds: number(args.rounds, 5, 2),
  coldRounds: number(args['cold-rounds'], 5, 1),
  componentRounds: number(args['component-rounds'], 5, 1),
  componentCounts: quick ? [1, 4] : [1, 4, 8],
  memoryRounds: number(args['memory-rounds'], 3, 1),
  instrumented: number(args.instrumented, 3, 1),
  primitiveReps: number(args['primitive-reps'], 5, 3),
  startupRuns: number(args['startup-runs'], 10, 5),
  maxLoad: Number(args['max-load']),
}

const log = (message: string): void => {
  console.log(`[bench] ${message}`)
}

const describe = (t: Timing): string =>
  `${sec(t.totalMs)} (build ${sec(t.buildMs)}, smoke ${sec(t.smokeMs)})`

/** Registry hiccups happen on a shared machine: a failed release is tried once more, and said. */
const retries: string[] = []
async function attempt(what: string, release: () => Promise<Timing>): Promise<Timing> {
  try {
    return await release()
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error))
      .split('\n')
      .slice(0, 3)
      .join(' ')
    retries.push(`${what}: ${message}`)
    log(`!! ${what} failed, once more: ${message}`)
    return release()
  }
}

function makeSubject(name: SubjectName, label: string, image: BenchImage): Promise<Subject> {
  if (name === 'action')
    return ActionSubject.create(`${label}-action`, image, {
      ...ACTION_INPUTS,
      platforms: PLATFORMS.join(','),
    })
  return Promise.resolve(new ScriptSubject(name, `${label}-${name}`, image, PLATFORMS.join(',')))
}

/** Round r runs the subjects rotated by r, so each goes first, last and between as often. */
const rotated = <T>(list: readonly T[], r: number): T[] =>
  list.map((_, i) => list[(i + r) % list.length] as T)

function comparison(
  image: BenchImage,
  cache: Comparison['cache'],
  names: readonly SubjectName[],
  order: SubjectName[][],
  timings: Partial<Record<SubjectName, Timing[]>>,
): Comparison {
  const subjects: Partial<Record<SubjectName, Series>> = {}
  for (const name of names) subjects[name] = series(timings[name] ?? [])
  const action = timings.action ?? []
  const lean = timings.lean ?? []
  return {
    image: image.name,
    cache,
    platforms: PLATFORMS,
    order,
    subjects,
    leanRatios: action.map((a, i) => a.totalMs / (lean[i]?.totalMs ?? NaN)),
  }
}

/**
 * One checkout and repository per subject, an untimed first release, then a new commit per
 * round. Warm: the build cache stays. Cold: BuildKit's cache is pruned before each release, as
 * on a fresh runner releasing to a repository that exists.
 */
async function compare(
  image: BenchImage,
  cache: Comparison['cache'],
  names: readonly SubjectName[],
  rounds: number,
): Promise<{ comparison: Comparison; images: Partial<Record<SubjectName, string>> }> {
  const subjects = await Promise.all(
    names.map((n) => makeSubject(n, `${image.name}-${cache}`, image)),
  )
  const timings: Partial<Record<SubjectName, Timing[]>> = {}
  const order: SubjectName[][] = []
  try {
    for (const s of subjects)
      await attempt(`${image.name} first release ${s.name}`, () => s.release())
    for (let round = 0; round < rounds; round++) {
      const these = rotated(subjects, round)
      order.push(these.map((s) => s.name))
      const line: string[] = []
      for (const s of these) {
        const t = await attempt(`${image.name} ${cache} round ${round + 1} ${s.name}`, () => {
          if (cache === 'cold') pruneBuildCache()
          return s.release()
        })
        ;(timings[s.name] ??= []).push(t)
        line.push(`${s.name} ${describe(t)}`)
      }
      log(`${image.name} ${cache} round ${round + 1}: ${line.join('; ')}`)
    }
    return {
      comparison: comparison(image, cache, names, order, timings),
      images: Object.fromEntries(subjects.map((s) => [s.name, s.image.name])),
    }
  } finally {
    for (const s of subjects) await s.close()
  }
}

/** The components input: `count` entries, each its own repository and COMPONENT build argument. */
function componentsYaml(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    [
      `- name: c${i + 1}`,
      `  image: ${benchImage(`components${count}-c${i + 1}`).name}`,
      `  build-args: { COMPONENT: c${i + 1} }`,
    ].join('\n'),
  ).join('\n')
}

/** The action alone with several components, each the codex-like image with its own build argument. */
async function measureComponents(count: number, rounds: number): Promise<ComponentRow> {
  const inputs = {
    ...ACTION_INPUTS,
    image: '',
    platforms: PLATFORMS.join(','),
    components: componentsYaml(count),
  }
  const action = await ActionSubject.create(`components${count}`, CODEX, inputs, {
    files: { Dockerfile: COMPONENT_DOCKERFILE },
  })
  try {
    await attempt(`${count} components warm-up`, () => action.release())
    const timings: Timing[] = []
    for (let round = 0; round < rounds; round++) {
      const t = await attempt(`${count} components round ${round + 1}`, () => action.release())
      log(`${count} component(s) round ${round + 1}: action ${describe(t)}`)
      timings.push(t)
    }
    return { components: count, platforms: PLATFORMS, series: series(timings) }
  } finally {
    await action.close()
  }
}

/** Peak RSS of releases that attach a 200 MiB asset to the GitHub Release. */
async function measureMemory(rounds: number): Promise<Results['memory']> {
  const asset = releaseAsset(ASSET_BYTES)
  const action = await ActionSubject.create(
    'memory',
    CODEX,
    { ...ACTION_INPUTS, platforms: PLATFORMS.join(','), 'release-assets': 'assets/app.bin' },
    {
      files: { '.gitignore': 'assets/\n', '.dockerignore': 'bench-round.txt\nassets/\n' },
      prepare: (dir) => {
        mkdirSync(join(dir, 'assets'))
        linkSync(asset, join(dir, 'assets', 'app.bin'))
      },
    },
  )
  try {
    const timings: Timing[] = []
    for (let round = 0; round < rounds; round++) {
      const t = await attempt(`memory round ${round + 1}`, () => action.release())
      log(
        `200 MiB asset round ${round + 1}: ${describe(t)}, peak RSS ${((t.peakRssKb ?? 0) / 1024).toFixed(0)} MiB`,
      )
      timings.push(t)
    }
    return { assetBytes: ASSET_BYTES, series: series(timings) }
  } finally {
    await action.close()
  }
}

/** The pushed size of one platform's image: the layers of its manifest. */
function imageSize(image: BenchImage, ref: string): ImageSize {
  interface Raw {
    manifests?: { digest: string; platform?: { os: string } }[]
    layers?: { size: number }[]
  }
  const raw = (r: string): Raw =>
    JSON.parse(
      execFileSync('docker', ['buildx', 'imagetools', 'inspect', '--raw', r], { encoding: 'utf8' }),
    ) as Raw
  const first = raw(ref).manifests?.find((m) => m.platform?.os !== 'unknown')
  const layers = raw(`${ref.replace(/:[^:/]+$/, '')}@${first?.digest ?? ''}`).layers ?? []
  return {
    image: image.name,
    compressedBytes: layers.reduce((n, l) => n + l.size, 0),
    layers: layers.length,
    dataBytes: image.data ? REALISTIC_DATA_BYTES : 0,
  }
}

/** Writes a file as prettier formats it, so that the repository's format check stays green. */
async function formatted(path: string, text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(path)), filepath: path })
}

function readPrevious(): Results | undefined {
  if (!existsSync(RESULTS)) return undefined
  try {
    const parsed = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results
    return parsed.version === 2 ? parsed : undefined
  } catch {
    return undefined
  }
}

async function measure(
  ci: CiWatch,
  load: ReturnType<typeof watchLoad>,
): Promise<Omit<Results, 'metrics'>> {
  const started = Date.now()
  const machine = describeMachine()
  const revision = actionRevision(REPO_ROOT)
  const node = node24()
  log(
    `${machine.cpus} × ${machine.cpuModel}, stack ${machine.stack ?? '?'}, engine ${machine.dockerServer}, buildx ${machine.buildx}, action on ${node}`,
  )
  log(
    `start-up: ${options.startupRuns} runs of node24 dist/index.js (invalid input) and node24 -e ''`,
  )
  const startup = measureStartup(options.startupRuns, node)
  const comparisons: Comparison[] = []
  const sizes: ImageSize[] = []
  const instrumented: Instrumented[] = []
  const primitives: Primitive[] = await measureEngineQuestions(options.primitiveReps)
  for (const image of [CODEX, REALISTIC]) {
    const names: SubjectName[] =
      image === CODEX ? ['action', 'lean', 'floor', 'by-hand'] : ['action', 'lean', 'floor']
    log(`${image.name}: warm, ${options.rounds} rounds of ${names.join(', ')}`)
    const warm = await compare(image, 'warm', names, options.rounds)
    comparisons.push(warm.comparison)
    const w = warm.comparison.subjects
    log(
      `${image.name} warm: action ÷ lean = ${ratio((w.action?.medians.totalMs ?? NaN) / (w.lean?.medians.totalMs ?? NaN))}`,
    )
    if (warm.images.lean) {
      sizes.push(imageSize(image, `${warm.images.lean}:latest`))
      log(`${image.name}: primitives, ${options.primitiveReps} each`)
      primitives.push(
        ...(await measurePrimitives(
          warm.images.lean,
          PLATFORMS,
          options.primitiveReps,
          image.name,
        )),
      )
    }
    log(`${image.name}: cold, ${options.coldRounds} rounds of action, lean, floor`)
    comparisons.push(
      (await compare(image, 'cold', ['action', 'lean', 'floor'], options.coldRounds)).comparison,
    )
    log(
      `${image.name}: ${options.instrumented} instrumented release(s) of the action, one of the lean script`,
    )
    instrumented.push(
      await instrumentedReleases(
        image,
        PLATFORMS,
        { ...ACTION_INPUTS, platforms: PLATFORMS.join(',') },
        options.instrumented,
      ),
    )
  }
  const components: ComponentRow[] = []
  for (const count of options.componentCounts)
    components.push(await measureComponents(count, options.componentRounds))
  log(`memory: ${options.memoryRounds} release(s) with a 200 MiB asset`)
  const memory = await measureMemory(options.memoryRounds)
  return {
    version: 2,
    date: new Date().toISOString(),
    options: { ...options, componentCounts: options.componentCounts.length },
    machine,
    revision: {
      ...revision,
      bundleChangedDuringRun: actionRevision(REPO_ROOT).bundleSha256 !== revision.bundleSha256,
    },
    ciActive: ci.seen(),
    load: load.summary(),
    durationMs: Date.now() - started,
    node24: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
    startup,
    comparisons,
    imageSizes: sizes,
    components,
    memory,
    instrumented,
    primitives,
    retries,
  }
}

/** Prints the report and the change since the last run; writes both files unless --no-write. */
async function publish(results: Results, previous: Results | undefined): Promise<void> {
  // The measurements first: a report that fails to render is rendered again with --report-only.
  const resultsFile = args['no-write']
    ? join(tmpdir(), `bench-results-${Date.now()}.json`)
    : RESULTS
  writeFileSync(resultsFile, JSON.stringify(results))
  log(`wrote ${resultsFile}`)
  const readme = await formatted(README, renderReadme(results))
  console.log(`\n${readme}`)
  if (previous) console.log(compareWithPrevious(previous, results))
  if (results.ciActive)
    console.warn('!! a CI run used the engine during this run: run again when it is idle')
  if (!results.load.quiet)
    console.warn('!! the machine was not quiet during this run (see Machine): run again when it is')
  if (results.revision.bundleChangedDuringRun)
    console.warn('!! dist/index.js changed during this run: run again')
  if (args['no-write']) return
  writeFileSync(RESULTS, await formatted(RESULTS, JSON.stringify(results)))
  writeFileSync(README, readme)
  log(`wrote bench/README.md and bench/results.json after ${sec(results.durationMs)}`)
}

async function main(): Promise<void> {
  if (args['report-only']) {
    const results = readPrevious()
    if (!results)
      throw new Error(
        `${RESULTS} is missing, unreadable or older than version 2: run npm run bench first`,
      )
    writeFileSync(README, await formatted(README, renderReadme(results)))
    log('wrote bench/README.md from bench/results.json')
    return
  }
  // Every docker call of this run, the scripts' and the benchmark's own, goes to the stack the
  // action runs on (the action gets STACK.env from the test support as well).
  Object.assign(process.env, STACK.env)
  await requireStack()
  await waitForQuiet(options.maxLoad, Number(args['wait-quiet']) * 60_000, log)
  const previous = readPrevious()
  const ci = watchCi()
  const load = watchLoad(options.maxLoad)
  try {
    const measured = await measure(ci, load)
    await publish({ ...measured, metrics: flatMetrics(measured) }, previous)
  } finally {
    ci.stop()
    load.stop()
    // Slow with the containerd image store (seconds per image on a busy engine): only on request.
    if (args['remove-images'])
      log(`removed ${removeLocalImages(pushedImages)} local image references of the benchmark`)
    else log(`the engine keeps the images of ${REGISTRY}/bench/* (--remove-images removes them)`)
  }
}

await main()
