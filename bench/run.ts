// npm run bench [-- --rounds 5 --scale-rounds 5 --startup-runs 10 --no-write --remove-images]
// npm run bench -- --report-only   (bench/README.md again from bench/results.json)
//
// Issue 8: the same release of the bundled example image through the bundled action and through
// bench/by-hand.sh (the hand-written workflow it replaces), on the real stack. Writes
// bench/README.md and bench/results.json, and prints the change against the previous results.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { COMPONENT_DOCKERFILE } from '../__tests__/support/fixtures.js'
import { REGISTRY, REPO_ROOT, requireStack } from '../__tests__/support/stack.js'
import {
  actionRevision,
  describeMachine,
  pruneBuildCache,
  removeLocalImages,
  watchCi,
  type CiWatch,
} from './support/machine.js'
import { compareWithPrevious, renderReadme } from './support/report.js'
import {
  flatMetrics,
  medians,
  type Comparison,
  type ComponentRow,
  type RegistryCacheRow,
  type Results,
} from './support/results.js'
import { actionSpawns, manifestGetMs, scriptSpawns } from './support/spawns.js'
import { measureStartup } from './support/startup.js'
import { ratio, sec } from './support/stats.js'
import {
  ActionSubject,
  ScriptSubject,
  benchImage,
  pushedImages,
  type Timing,
} from './support/subjects.js'

const RESULTS = join(REPO_ROOT, 'bench', 'results.json')
const README = join(REPO_ROOT, 'bench', 'README.md')

/** Platforms the default builder lists here and Debian bookworm's busybox-static exists for. */
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/s390x', 'linux/ppc64le']

/** The action's inputs for every release: the smoke tests the script runs too. */
const SMOKE_INPUTS = {
  'smoke-run': 'true',
  'smoke-http': '8080/health',
  'smoke-http-expect': 'ok',
  provenance: 'false',
}

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'scale-rounds': { type: 'string', default: '5' },
    'startup-runs': { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
    'remove-images': { type: 'boolean', default: false },
    /** Renders bench/README.md again from bench/results.json, measuring nothing. */
    'report-only': { type: 'boolean', default: false },
  },
})
const options = {
  rounds: Number(args.rounds),
  scaleRounds: Number(args['scale-rounds']),
  startupRuns: Number(args['startup-runs']),
}

const log = (message: string): void => {
  console.log(`[bench] ${message}`)
}

const describe = (t: Timing): string =>
  `total ${sec(t.totalMs)} (build ${sec(t.buildMs)}, smoke ${sec(t.smokeMs)}, overhead ${sec(t.overheadMs)})`

/** The action and the script, one after the other; who goes first alternates by round. */
async function pair(
  round: number,
  action: () => Promise<Timing>,
  script: () => Promise<Timing>,
): Promise<{ action: Timing; script: Timing }> {
  if (round % 2 === 0) {
    const a = await action()
    return { action: a, script: await script() }
  }
  const s = await script()
  return { action: await action(), script: s }
}

function comparison(
  platforms: readonly string[],
  rounds: { action: Timing; script: Timing }[],
): Comparison {
  const action = medians(rounds.map((r) => r.action))
  const script = medians(rounds.map((r) => r.script))
  return {
    platforms,
    rounds,
    action,
    script,
    ratio: action.totalMs / script.totalMs,
    roundRatios: rounds.map((r) => r.action.totalMs / r.script.totalMs),
  }
}

/** Warm: one checkout and repository each, an untimed first release, then new versions. */
async function compareWarm(
  label: string,
  platforms: readonly string[],
  rounds: number,
  provenance = SMOKE_INPUTS.provenance,
): Promise<Comparison> {
  const inputs = { ...SMOKE_INPUTS, provenance, platforms: platforms.join(',') }
  const action = await ActionSubject.create(`${label}-action`, inputs)
  const script = new ScriptSubject(`${label}-script`, platforms.join(','), provenance)
  try {
    // The first release fills the build cache and the repository; it is not counted.
    await action.release()
    await script.release()
    const results: { action: Timing; script: Timing }[] = []
    for (let round = 0; round < rounds; round++) {
      const r = await pair(
        round,
        () => action.release(),
        () => script.release(),
      )
      log(`${label} round ${round + 1}: action ${describe(r.action)}; script ${describe(r.script)}`)
      results.push(r)
    }
    return comparison(platforms, results)
  } finally {
    await action.close()
    script.close()
  }
}

/** Cold: BuildKit's cache pruned before each release, and a new repository every time. */
async function compareCold(
  label: string,
  platforms: readonly string[],
  rounds: number,
): Promise<Comparison> {
  const inputs = { ...SMOKE_INPUTS, platforms: platforms.join(',') }
  const results: { action: Timing; script: Timing }[] = []
  for (let round = 0; round < rounds; round++) {
    const action = await ActionSubject.create(`${label}-action`, inputs)
    const script = new ScriptSubject(`${label}-script`, platforms.join(','))
    try {
      const r = await pair(
        round,
        () => {
          pruneBuildCache()
          return action.release()
        },
        () => {
          pruneBuildCache()
          return script.release()
        },
      )
      log(`${label} round ${round + 1}: action ${describe(r.action)}; script ${describe(r.script)}`)
      results.push(r)
    } finally {
      await action.close()
      script.close()
    }
  }
  return comparison(platforms, results)
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

/** The action alone with several components, each the example image with its own build argument. */
async function measureComponents(count: number, rounds: number): Promise<ComponentRow> {
  const platforms = PLATFORMS.slice(0, 2)
  const inputs = {
    ...SMOKE_INPUTS,
    image: '',
    platforms: platforms.join(','),
    components: componentsYaml(count),
  }
  const action = await ActionSubject.create(`components${count}`, inputs, {
    Dockerfile: COMPONENT_DOCKERFILE,
  })
  try {
    await action.release() // untimed: fills the cache with this component's RUN step
    const timings: Timing[] = []
    for (let round = 0; round < rounds; round++) {
      const t = await action.release()
      log(`${count} component(s) round ${round + 1}: action ${describe(t)}`)
      timings.push(t)
    }
    return { components: count, platforms, rounds: timings, action: medians(timings) }
  } finally {
    await action.close()
  }
}

/**
 * Whether a single-platform release works with provenance: false (it is a plain manifest, not
 * an index): the platform scaling releases use it when it does, else buildx's mode=min.
 */
async function probeSinglePlatform(): Promise<{ provenance: string; finding: string }> {
  const inputs = { ...SMOKE_INPUTS, platforms: PLATFORMS[0] ?? 'linux/amd64' }
  const action = await ActionSubject.create('single-platform', inputs)
  try {
    await action.release()
    return { provenance: 'false', finding: 'works.' }
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[1] ?? ''
    const why = message.includes('index annotations')
      ? ": with one platform and no attestation buildx writes a plain manifest, which cannot carry the action's `--annotation index:…`"
      : ''
    return {
      provenance: 'mode=min',
      finding: `fails (\`${message}\`)${why}. The platform scaling releases therefore use buildx's default provenance (mode=min) for both the action and the script.`,
    }
  } finally {
    await action.close()
  }
}

/**
 * Issue 7: a release on a builder whose local cache is empty (a fresh runner), with cache:
 * registry (the cache an earlier release wrote to <image>:buildcache) and without a cache.
 */
async function measureRegistryCache(rounds: number): Promise<RegistryCacheRow> {
  const platforms = PLATFORMS.slice(0, 2)
  const base = { ...SMOKE_INPUTS, platforms: platforms.join(',') }
  const cached = await ActionSubject.create('registry-cache', { ...base, cache: 'registry' })
  const uncached = await ActionSubject.create('no-cache', base)
  try {
    await cached.release() // untimed: writes <image>:buildcache
    const withCache: Timing[] = []
    const withoutCache: Timing[] = []
    for (let round = 0; round < rounds; round++) {
      pruneBuildCache()
      const w = await cached.release()
      if (w.cache === undefined || w.cache.cached < w.cache.steps)
        throw new Error(`cache: registry did not hit every step: ${JSON.stringify(w.cache)}`)
      pruneBuildCache()
      const wo = await uncached.release()
      log(`registry cache round ${round + 1}: with ${describe(w)}; without ${describe(wo)}`)
      withCache.push(w)
      withoutCache.push(wo)
    }
    return {
      platforms,
      withCache,
      withoutCache,
      withCacheMedians: medians(withCache),
      withoutCacheMedians: medians(withoutCache),
    }
  } finally {
    await cached.close()
    await uncached.close()
  }
}

/** One instrumented (untimed for the tables) warm release of each, to count process spawns. */
async function measureSpawns(): Promise<Results['spawns']> {
  const platforms = PLATFORMS.slice(0, 2).join(',')
  const action = await ActionSubject.create('spawns-action', { ...SMOKE_INPUTS, platforms })
  const script = new ScriptSubject('spawns-script', platforms)
  try {
    await action.release()
    await script.release()
    const analysed = { action: await actionSpawns(action), script: await scriptSpawns(script) }
    return {
      ...analysed,
      manifestGetMs: await manifestGetMs(REGISTRY, action.image.path, 'latest'),
    }
  } finally {
    await action.close()
    script.close()
  }
}

/** Writes a file as prettier formats it, so that the repository's format check stays green. */
async function formatted(path: string, text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(path)), filepath: path })
}

function readPrevious(): Results | undefined {
  if (!existsSync(RESULTS)) return undefined
  try {
    return JSON.parse(readFileSync(RESULTS, 'utf8')) as Results
  } catch {
    return undefined
  }
}

/** Every figure of issue 8, section by section. */
async function measure(ci: CiWatch): Promise<Omit<Results, 'metrics'>> {
  const started = Date.now()
  const machine = describeMachine()
  const revision = actionRevision(REPO_ROOT)
  log(
    `${machine.cpus} × ${machine.cpuModel}, engine ${machine.dockerServer}, buildx ${machine.buildx}`,
  )
  log(`start-up: ${options.startupRuns} runs of node dist/index.js (invalid input) and node -e ''`)
  const startup = measureStartup(options.startupRuns)
  const two = PLATFORMS.slice(0, 2)
  log(`cold releases, ${two.join(' + ')}, ${options.rounds} rounds`)
  const cold = await compareCold('cold', two, options.rounds)
  log(`warm releases, ${two.join(' + ')}, ${options.rounds} rounds`)
  const warm = await compareWarm('warm', two, options.rounds)
  log(`warm: action ÷ script = ${ratio(warm.ratio)}`)
  const single = await probeSinglePlatform()
  log(`one platform with provenance false ${single.provenance === 'false' ? 'works' : 'fails'}`)
  const platforms: Comparison[] = []
  for (const count of [1, 2, 4]) {
    const list = PLATFORMS.slice(0, count)
    platforms.push(
      await compareWarm(`platforms${count}`, list, options.scaleRounds, single.provenance),
    )
  }
  const components: ComponentRow[] = []
  for (const count of [1, 4, 8])
    components.push(await measureComponents(count, options.scaleRounds))
  log(`registry cache, cold builder, ${options.scaleRounds} rounds`)
  const registryCache = await measureRegistryCache(options.scaleRounds)
  log('one instrumented release of each, counting process spawns')
  const spawns = await measureSpawns()
  return {
    version: 1,
    date: new Date().toISOString(),
    options,
    machine,
    revision: {
      ...revision,
      bundleChangedDuringRun: actionRevision(REPO_ROOT).bundleSha256 !== revision.bundleSha256,
    },
    ciActive: ci.seen(),
    durationMs: Date.now() - started,
    startup,
    release: { cold, warm },
    platforms,
    platformProvenance: single.provenance,
    singlePlatformNoProvenance: single.finding,
    components,
    registryCache,
    spawns,
  }
}

/** Prints the report and the change since the last run; writes both files unless --no-write. */
async function publish(results: Results, previous: Results | undefined): Promise<void> {
  const readme = await formatted(README, renderReadme(results))
  console.log(`\n${readme}`)
  if (previous) console.log(compareWithPrevious(previous, results))
  if (results.ciActive)
    console.warn('!! a CI run used the engine during this run: run again when it is idle')
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
    if (!results) throw new Error(`${RESULTS} is missing or unreadable: run npm run bench first`)
    writeFileSync(README, await formatted(README, renderReadme(results)))
    log('wrote bench/README.md from bench/results.json')
    return
  }
  await requireStack()
  const previous = readPrevious()
  const ci = watchCi()
  try {
    const measured = await measure(ci)
    await publish({ ...measured, metrics: flatMetrics(measured) }, previous)
  } finally {
    ci.stop()
    // Slow with the containerd image store (seconds per image on a busy engine): only on request.
    if (args['remove-images'])
      log(
        `removed ${removeLocalImages(pushedImages)} local image references of ${REGISTRY}/bench/*`,
      )
    else log(`the engine keeps the images of ${REGISTRY}/bench/* (--remove-images removes them)`)
  }
}

await main()
