// bench/README.md from the results (issue 19): the targets (met or missed, with the measured
// figure), the whole-release tables, the action's steps, where the smoke time goes, the cost of
// each engine operation alone, and the changes that would meet each missed target, ranked by
// what they would save — every figure computed from bench/results.json.
import type { PlatformSmoke, ReleaseBreakdown } from './breakdown.js'
import type { Instrumented } from './instrumented.js'
import { comparisonOf, type Comparison, type Medians, type Results } from './results.js'
import { mb, median, percentChange, ratio, sec, slope } from './stats.js'
import type { SubjectName } from './subjects.js'

export interface Target {
  readonly name: string
  readonly goal: string
  readonly measured: string
  readonly met: boolean
  readonly why: string
}

const ms = (value: number): string => `${Math.round(value)} ms`
const kib = (value: number): string => mb(value * 1024)
const short = (platform: string): string => platform.replace('linux/', '')
const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n')
}

const SUBJECTS: readonly SubjectName[] = ['action', 'lean', 'floor', 'by-hand']
const TITLES: Record<SubjectName, string> = {
  action: 'Action',
  lean: 'Lean script',
  floor: 'Floor',
  'by-hand': 'by-hand.sh',
}

/** The medians of a subject in a comparison. */
const of = (c: Comparison | undefined, s: SubjectName): Medians | undefined =>
  c?.subjects[s]?.medians

/** The slowest platform's own smoke in the lean script (each platform runs alone there). */
function slowestAlone(c: Comparison | undefined): { platform: string; ms: number } {
  const lean = of(c, 'lean')?.platformSmokeMs ?? {}
  const [platform = '?', value = NaN] = Object.entries(lean).sort((a, b) => b[1] - a[1])[0] ?? []
  return { platform, ms: value }
}

/** The instrumented release whose total is the median one. */
function typical(inst: Instrumented | undefined): ReleaseBreakdown | undefined {
  const list = [...(inst?.action ?? [])].sort((a, b) => a.timing.totalMs - b.timing.totalMs)
  return list[Math.floor((list.length - 1) / 2)]
}

const instrumentedOf = (r: Results, image: string): Instrumented | undefined =>
  r.instrumented.find((i) => i.image === image)

/** A primitive's median by name (without the image label) and platform. */
function primitive(r: Results, image: string, name: string, platform?: string): number {
  return (
    r.primitives.find(
      (p) => p.name === `${image}: ${name}` && (platform === undefined || p.platform === platform),
    )?.medianMs ?? NaN
  )
}

const enginePrimitive = (r: Results, name: string): number =>
  r.primitives.find((p) => p.name === `preflight: ${name}`)?.medianMs ?? NaN

/** Whether the builder measured is the engine's own (the docker driver). */
const dockerDriver = (r: Results): boolean => r.machine.builder.includes('(docker driver)')

/** The steps after the smoke: the verified record and the GitHub Release. */
const releaseSteps = (t: Medians): number =>
  ['mark-verified', 'draft-release', 'lease', 'promote', 'publish', 'cleanup']
    .map((step) => t.parts[step] ?? 0)
    .reduce((x, y) => x + y, 0)

/** From the end of the last step to the process's exit. */
const exitWaitOf = (t: Medians): number =>
  t.totalMs - (Object.values(t.parts).reduce((x, y) => x + y, 0) + t.beforeStepsMs)

/** What the action does that the floor does not, besides the smoke step. */
const fixedCosts = (t: Medians): number =>
  t.beforeStepsMs +
  (t.parts.preflight ?? 0) +
  (t.parts.plan ?? 0) +
  (t.parts['assert-manifest'] ?? 0) +
  releaseSteps(t) +
  exitWaitOf(t)

/** What preflight waits for, from the questions measured alone. */
function preflightHow(r: Results, preflight: number): string {
  const q = (name: string): string => ms(enginePrimitive(r, name))
  return `preflight takes ${ms(preflight)}, asking everything at once: the engine's socket for its version and image store (GET /info ${q('engine API socket: GET /info (no process)')} alone; \`docker info\` would take ${q('docker info --format {{json .}}')}), the buildx plugin itself for its version (${q('buildx plugin: version (no docker CLI)')}; \`docker buildx version\` ${q('docker buildx version')}) and the builder (\`inspect --bootstrap\` ${q('buildx plugin: inspect --bootstrap (no docker CLI)')}; through the docker CLI ${q('docker buildx inspect --bootstrap')}), the workspace's commit, the registry probe and the GitHub permission check. The builder's answer is the slowest: buildx reaches the builder's BuildKit for its platforms, which the build needs first (src/steps/preflight.ts, src/ports/engine.ts)`
}

/** One phase of a platform's smoke in the instrumented release (the sum when it repeats). */
function phase(smoke: PlatformSmoke | undefined, name: string): number {
  return (smoke?.phases ?? []).filter((p) => p.name === name).reduce((n, p) => n + p.ms, 0)
}

/** The median over the instrumented releases of the slowest platform's phase. */
function slowestPhase(inst: Instrumented | undefined, name: string): number {
  return median(
    (inst?.action ?? []).map((b) => {
      const slowest = [...b.smoke].sort((x, y) => y.totalMs - x.totalMs)[0]
      return phase(slowest, name)
    }),
  )
}

function componentSlope(r: Results): {
  total: number
  build: number
  smoke: number
  rest: number
} {
  const counts = r.components.map((c) => c.components)
  const pick = (f: (m: Medians) => number): number =>
    slope(
      counts,
      r.components.map((c) => f(c.series.medians)),
    )
  return {
    total: pick((m) => m.totalMs),
    build: pick((m) => m.buildMs),
    smoke: pick((m) => m.smokeMs),
    rest: pick((m) => m.overheadMs),
  }
}

const peakRss = (r: Results): number =>
  Math.max(...r.memory.series.rounds.map((t) => t.peakRssKb ?? 0))

/** Peak RSS of the warm codex-like releases, without an asset. */
const plainRss = (r: Results): number =>
  median(
    (comparisonOf(r, 'codex-like', 'warm')?.subjects.action?.rounds ?? []).map(
      (t) => t.peakRssKb ?? 0,
    ),
  )

/** A change to the action, what it would save, and the targets it serves. */
interface Change {
  readonly title: string
  readonly gainMs: number
  readonly how: string
  readonly targets: string
}

/** The changes that would shorten a warm two-platform release, with the saving measured here. */
function releaseChanges(r: Results, image: 'codex-like' | 'realistic'): Change[] {
  const c = comparisonOf(r, image, 'warm')
  const inst = instrumentedOf(r, image)
  const a = of(c, 'action')
  const lean = of(c, 'lean')
  if (!a || !lean) return []
  const changes: Change[] = []
  const platform = [...(typical(inst)?.smoke ?? [])].sort((x, y) => y.totalMs - x.totalMs)[0]
    ?.platform
  const p = platform ?? 'linux/arm64'
  const rm = slowestPhase(inst, 'docker rm -f')
  const kill = primitive(r, image, 'docker kill (running; removal left to --rm)', p)
  const exitWait = exitWaitOf(a)
  changes.push({
    title: "Hand the smoke containers' removal to the post step",
    gainMs: Math.max(0, exitWait - 30),
    how: `a smoke container is removed in the background once its verdict is in (src/smoke/probe.ts; through the engine's socket, DELETE /containers/…?force=1, when the docker CLI would use a local one), and the main step waits for every removal before it exits (src/main.ts): ${ms(exitWait)} after the last step here. The cost is the engine's removal of the container, not stopping it: \`docker rm -f\` of a running container ${ms(primitive(r, image, 'docker rm -f (running)', p))} alone (${ms(rm)} in the instrumented releases' processes), \`docker kill\` ${ms(kill)}. Killing the containers in the main step and leaving their removal to the post step would end the main step that much sooner, but not the job, which then waits in the post step: not done, as the lean script pays its \`docker rm -f\` too`,
    targets: 'action ÷ lean, action − floor, components',
  })
  const pull = slowestPhase(inst, 'docker pull')
  const blobs = inst ? median(inst.action.map((b) => b.smokeBlobDownloads.bytes)) : NaN
  // Only an engine that built the image holds it; from any other builder it must be pulled.
  const held = dockerDriver(r) && r.machine.containerdStore
  changes.push({
    title: held
      ? 'Skip the pull of what the build left in the engine'
      : "The pull (needed: the builder is not the engine's image store)",
    gainMs: held ? pull : 0,
    how: `each platform's smoke starts with \`docker pull --platform … image@digest\` (${ms(pull)} on the slowest platform; ${ms(primitive(r, image, 'docker pull by digest (held by the engine)', p))} alone), which downloads ${mb(blobs)} of layers here: ${held ? 'with the docker driver and the containerd image store the build already put every blob of the pushed manifest in the engine, so the containers could run with `--pull missing` (or the engine API asked whether it holds the digest, a few ms)' : 'the builder is not the engine (its image store holds no build), so the new manifest, its config and its changed layers must come from the registry, as for the lean script’s `docker run`: nothing to save'} (src/smoke/platform-smoke.ts)`,
    targets: 'action ÷ lean, action − floor, components',
  })
  const created = slowestPhase(inst, 'docker create (architecture)')
  if (created > 0) {
    const runD = slowestPhase(inst, 'docker run -d')
    const alone = primitive(r, image, 'docker run -d -p 127.0.0.1::8080', p)
    const fallback =
      created +
      slowestPhase(inst, 'docker cp (architecture)') +
      slowestPhase(inst, 'docker rm -f (architecture)')
    changes.push({
      title: "Read the architecture from the probe's own container",
      gainMs: Math.max(0, runD - alone),
      how: `the layers are larger than the 64 MB the action streams (src/ports/layer-files.ts, MAX_LAYER_BYTES), so the architecture check falls back to \`docker create\` + \`docker cp\` + \`docker rm\` (${ms(fallback)} of processes on the slowest platform), at the same time as the probe's container starts, which then takes ${ms(runD)} instead of ${ms(alone)} alone. When there is a probe, copy the program out of the probe's running container (\`docker cp -L <probe>:/bin/busybox -\`, one process, no second container); read the layer blobs only when there is none (src/smoke/architecture.ts)`,
      targets: 'action ÷ lean (realistic), action − floor',
    })
  }
  const poll = slowestPhase(inst, 'HTTP poll until /health answers')
  const firstAnswer = primitive(r, image, 'first HTTP answer after docker port (5 ms polls)', p)
  changes.push({
    title: 'Poll the health endpoint sooner',
    gainMs: poll - (Number.isNaN(firstAnswer) ? 0 : firstAnswer),
    how: `once the published port is known, the probe waits ${ms(poll)} for the answer in the instrumented releases (measured from the \`docker port\` process, when there is one: the socket's answer is not a process; the server answers ${ms(firstAnswer)} after \`docker port\` when polled every 5 ms): the probe's first poll comes after 10 ms and doubles up to 100 ms, so one miss costs up to a whole interval; what is left is the server's own start, under QEMU for arm64 (src/smoke/probe.ts, FIRST_POLL_MS and the doubling)`,
    targets: 'action ÷ lean, action − floor',
  })
  const preflight = a.parts.preflight ?? NaN
  changes.push({
    title: 'Take preflight off the critical path',
    gainMs: preflight - Math.min(150, preflight),
    how: preflightHow(r, preflight),
    targets: 'preflight, action ÷ lean, action − floor',
  })
  const after = ['mark-verified', 'draft-release', 'lease', 'promote', 'publish', 'cleanup']
    .map((s) => a.parts[s] ?? 0)
    .reduce((x, y) => x + y, 0)
  const draft = (a.parts['draft-release'] ?? 0) + (a.parts.lease ?? 0)
  changes.push({
    title: 'Draft the Release while the smoke tests run',
    gainMs: Math.min(draft, a.smokeMs),
    how: `the steps after smoke take ${ms(after)} (${[
      'mark-verified',
      'draft-release',
      'lease',
      'promote',
      'publish',
    ]
      .map((s) => `${s} ${ms(a.parts[s] ?? 0)}`)
      .join(
        ', ',
      )}) against the lean script's ${ms((lean.parts.inspect ?? 0) + (lean.parts.promote ?? 0))} of inspect and promote. The draft is invisible: creating it (and uploading assets) and taking the lease can run during the smoke step; on api.github.com each saved round trip is 0.1–0.3 s more than here (src/pipeline.ts)`,
    targets: 'action ÷ lean, action − floor',
  })
  const buildDiff = a.buildMs - lean.buildMs
  changes.push({
    title: "Match the lean script's build",
    gainMs: Math.max(0, buildDiff),
    how: `the action's build step takes ${ms(a.buildMs)}, the lean script's \`buildx build --push\` ${ms(lean.buildMs)} (difference ${ms(buildDiff)}): ${dockerDriver(r) ? 'with the docker driver the action exports an OCI layout (kept in the runner’s tool cache, so unchanged layers are not written again) and pushes it by digest itself' : 'both push from BuildKit; the action runs the buildx plugin itself, not through `docker buildx` (src/ports/docker-cli.ts)'}; the difference is within the noise when it is under ~100 ms`,
    targets: 'action ÷ lean',
  })
  const before = a.beforeStepsMs
  changes.push({
    title: 'Start faster: V8 compile cache',
    gainMs: Math.max(0, r.startup.medianActionMs - r.startup.medianCachedActionMs),
    how: `the process needs ${ms(before)} before its first step in these releases (${ms(r.startup.medianActionMs)} to fail on a bad input, node alone ${ms(r.startup.medianNodeMs)}); with \`module.enableCompileCache()\` (Node 22+) at the top of the bundle, a second start takes ${ms(r.startup.medianCachedActionMs)} — on a hosted runner the cache directory is new each job, so this helps self-hosted runners and the CLI; lazy imports of the rarely used parts (rollback, signing, OCI archives) help everywhere`,
    targets: 'start-up, action ÷ lean',
  })
  return changes.sort((x, y) => y.gainMs - x.gainMs)
}

export function evaluateTargets(r: Results): Target[] {
  const targets: Target[] = []
  for (const image of ['codex-like', 'realistic'] as const) {
    const c = comparisonOf(r, image, 'warm')
    const a = of(c, 'action')
    const lean = of(c, 'lean')
    const floor = of(c, 'floor')
    if (!a || !lean || !floor) continue
    const value = a.totalMs / lean.totalMs
    const gains = releaseChanges(r, image)
    const top = gains
      .filter((g) => g.gainMs > 20)
      .slice(0, 3)
      .map((g) => `${g.title.toLowerCase()} (−${ms(g.gainMs)})`)
      .join(', ')
    targets.push({
      name: `Action ÷ lean script, warm, 2 platforms, ${image} image`,
      goal: '≤ 0.90',
      measured: `${ratio(value)} (${sec(a.totalMs)} ÷ ${sec(lean.totalMs)})`,
      met: value <= 0.9,
      why: `the action takes ${sec(a.totalMs - 0.9 * lean.totalMs)} more than 0.90 × the lean script; largest savings: ${top}`,
    })
    const alone = slowestAlone(c)
    const extra = a.totalMs - floor.totalMs
    targets.push({
      name: `Action − floor, warm, 2 platforms, ${image} image`,
      goal: `≤ slowest platform's smoke alone (${short(alone.platform)}: ${sec(alone.ms)} in the lean script) + 0.3 s = ${sec(alone.ms + 300)}`,
      measured: `${sec(extra)} (${sec(a.totalMs)} − ${sec(floor.totalMs)})`,
      met: extra <= alone.ms + 300,
      why: `${sec(extra - alone.ms - 300)} over. Besides the smoke step (${sec(a.smokeMs)}, against ${sec(alone.ms)} for the slowest platform alone), the action spends ${sec(a.beforeStepsMs)} starting Node.js and its bundle, ${sec(a.parts.preflight ?? NaN)} in preflight, ${sec((a.parts.plan ?? 0) + (a.parts['assert-manifest'] ?? 0))} planning the release and reading the index back, and ${sec(releaseSteps(a))} recording the verified digest, drafting, promoting and publishing the GitHub Release (${sec(exitWaitOf(a))} after the last step), none of which the floor does: together ${sec(fixedCosts(a))} against the 0.3 s the target leaves. Its build takes ${sec(a.buildMs)}, the floor's ${sec(floor.totalMs)}`,
    })
  }
  const cw = of(comparisonOf(r, 'codex-like', 'warm'), 'action')
  const preflight = cw?.parts.preflight ?? NaN
  targets.push({
    name: 'Preflight on the critical path (codex-like, warm)',
    goal: '≤ 0.15 s',
    measured: sec(preflight),
    met: preflight <= 150,
    why: preflightHow(r, preflight),
  })
  if (r.components.length > 1) {
    const g = componentSlope(r)
    const most = r.components.at(-1)
    targets.push({
      name: `Each added component, warm (up to ${most?.components ?? '?'} components, 2 platforms)`,
      goal: '≤ 1.2 s',
      measured: `${sec(g.total)} (build ${sec(g.build)}, smoke ${sec(g.smoke)}, the rest ${sec(g.rest)})`,
      met: g.total <= 1200,
      why: `the smoke step grows by ${sec(g.smoke)} per component (2 containers each, at most 4 at once) and the build by ${sec(g.build)} (one buildx build per component, 2 at once)`,
    })
  }
  const rss = peakRss(r)
  targets.push({
    name: `Peak RSS with a ${mb(r.memory.assetBytes)} release asset`,
    goal: '≤ 150 MB',
    measured: `${kib(rss)} (without an asset: ${kib(plainRss(r))})`,
    met: rss * 1024 <= 150e6,
    why: `${kib(rss - plainRss(r))} above a release without it, although the asset passes through one reused 1 MiB buffer (src/release/assets.ts) and is written as the socket takes it (src/ports/github/streaming-fetch.ts)`,
  })
  targets.push({
    name: 'Start-up to the first step (Node 24, node dist/index.js failing on mode: nope)',
    goal: '≤ 200 ms',
    measured: ms(r.startup.medianActionMs),
    met: r.startup.medianActionMs <= 200,
    why: `node itself needs ${ms(r.startup.medianNodeMs)}; loading the bundle the rest`,
  })
  targets.push({
    name: 'Bundle size (dist/index.js)',
    goal: '≤ 3 MB',
    measured: mb(r.startup.bundleBytes),
    met: r.startup.bundleBytes <= 3e6,
    why: 'the bundle holds @actions/*, Octokit, yaml and semver',
  })
  return targets
}

function targetsTable(targets: readonly Target[]): string {
  return table(
    ['Target', 'Goal', 'Measured (median)', 'Met', 'Why (when missed)'],
    targets.map((t) => [
      t.name,
      t.goal,
      t.measured,
      t.met ? 'met' : '**missed**',
      t.met ? '' : t.why,
    ]),
  )
}

function machineSection(r: Results): string {
  const m = r.machine
  const l = r.load
  const quiet = l.quiet
    ? 'The machine was quiet.'
    : '**Measured under load: other work shared the 2 cores, so every time here is longer than on a quiet machine, and the ratios are less sure. Run it again when `uptime` shows a load under 1.5.**'
  return `${table(
    [
      'CPU',
      'Memory',
      'Kernel',
      'Node.js (bench / action)',
      'Docker (client / engine)',
      'buildx',
      'Builder',
      'Stack (MULTIARCH_STACK)',
    ],
    [
      [
        `${m.cpus} × ${m.cpuModel}`,
        `${m.memoryGB} GB`,
        m.kernel,
        `${m.node} / ${r.node24}`,
        `${m.dockerClient} / ${m.dockerServer}`,
        m.buildx,
        `${m.builder}${m.containerdStore ? ', containerd image store' : ', classic image store'}`,
        m.stack ?? 'd26 (the primary engine)',
      ],
    ],
  )}

Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on commit ${r.revision.commit}${r.revision.distModified ? ' with an uncommitted dist/' : ''} (dist/index.js sha256 ${r.revision.bundleSha256.slice(0, 12)}…)${r.options.quick ? ' with `--quick`' : ''}; the run took ${sec(r.durationMs)}.
Load: the 1-minute load average was ${l.atStart.toFixed(2)} at the start, ${l.median.toFixed(2)} (median) and ${l.max.toFixed(2)} (max) during the run, the benchmark's own releases included; processes other than the benchmark's and the shared engine's used ${l.othersMedianCores.toFixed(2)} cores (median; max ${l.othersMaxCores.toFixed(2)}${l.othersTop.length > 0 ? `; busiest: ${l.othersTop.join(', ')}` : ''}). ${quiet}${r.ciActive ? ' **A CI run used the engine during this run.**' : ''}${r.revision.bundleChangedDuringRun ? ' **dist/index.js changed during the run: the figures mix two versions of the action.**' : ''}${r.retries.length > 0 ? ` Releases tried again after a failure: ${r.retries.length} (${r.retries.map((x) => `\`${x.slice(0, 120)}\``).join('; ')}).` : ''}`
}

function releaseTable(r: Results): string {
  const rows = r.comparisons.map((c) => {
    const a = of(c, 'action')
    const lean = of(c, 'lean')
    const floor = of(c, 'floor')
    return [
      `${c.image}, ${c.cache}`,
      ...SUBJECTS.map((s) => {
        const m = of(c, s)
        return m ? sec(m.totalMs) : '—'
      }),
      a && lean ? ratio(a.totalMs / lean.totalMs) : '—',
      a && floor ? sec(a.totalMs - floor.totalMs) : '—',
      c.leanRatios.map(ratio).join(', '),
    ]
  })
  return table(
    [
      'Image, cache',
      ...SUBJECTS.map((s) => TITLES[s]),
      'Action ÷ lean',
      'Action − floor',
      'Action ÷ lean, each round',
    ],
    rows,
  )
}

function phasesTable(r: Results): string {
  const rows: string[][] = []
  for (const c of r.comparisons) {
    for (const s of ['action', 'lean', 'floor'] as const) {
      const m = of(c, s)
      if (!m) continue
      rows.push([
        `${c.image}, ${c.cache}`,
        TITLES[s],
        sec(m.totalMs),
        sec(m.buildMs),
        sec(m.smokeMs),
        sec(m.overheadMs),
        Object.entries(m.platformSmokeMs)
          .map(([p, v]) => `${short(p)} ${sec(v)}`)
          .join(', '),
      ])
    }
  }
  return table(
    ['Image, cache', 'Subject', 'Whole', 'Build', 'Smoke', 'The rest', "Each platform's smoke"],
    rows,
  )
}

function stepsTable(r: Results): string {
  const warm = (['codex-like', 'realistic'] as const).map((i) => comparisonOf(r, i, 'warm'))
  const names = [...new Set(warm.flatMap((c) => Object.keys(of(c, 'action')?.parts ?? {})))]
  const cell = (c: Comparison | undefined, f: (m: Medians) => number): string => {
    const m = of(c, 'action')
    return m ? sec(f(m)) : '—'
  }
  const after = exitWaitOf
  return table(
    ['Action, warm, medians', 'codex-like', 'realistic'],
    [
      ['process start to the first step', ...warm.map((c) => cell(c, (m) => m.beforeStepsMs))],
      ...names.map((n) => [`step ${n}`, ...warm.map((c) => cell(c, (m) => m.parts[n] ?? 0))]),
      ['after the last step (outputs, summary, exit)', ...warm.map((c) => cell(c, after))],
      ['whole release', ...warm.map((c) => cell(c, (m) => m.totalMs))],
    ],
  )
}

function smokeTable(b: ReleaseBreakdown): string {
  const platforms = b.smoke.map((s) => s.platform)
  const names = [...new Set(b.smoke.flatMap((s) => s.phases.map((p) => p.name)))]
  const cell = (s: PlatformSmoke | undefined, name: string): string => {
    const list = (s?.phases ?? []).filter((p) => p.name === name)
    if (list.length === 0) return ''
    return list.map((p) => `${ms(p.ms)} (at ${ms(p.startMs)})`).join(' + ')
  }
  return table(
    ["Phase (from the smoke step's start)", ...platforms.map(short)],
    [
      ...names.map((n) => [n, ...b.smoke.map((s) => cell(s, n))]),
      ['the platform, in all', ...b.smoke.map((s) => ms(s.totalMs))],
    ],
  )
}

function stepProcessesTable(b: ReleaseBreakdown): string {
  const groups = (
    list: readonly { name: string; count: number; busyMs: number; bytes?: number }[],
  ) =>
    list
      .map(
        (g) =>
          `${g.count} × ${g.name} (${ms(g.busyMs)}${g.bytes !== undefined && g.bytes > 0 ? `, ${mb(g.bytes)}` : ''})`,
      )
      .join('; ')
  return table(
    [
      'Step',
      'Time',
      'Processes (count × kind, busy)',
      'Registry requests (client: kind, busy, bytes)',
      'GitHub API requests',
    ],
    b.steps.map((s) => [
      s.name,
      ms(s.ms),
      groups(s.processes),
      groups(s.registry),
      String(s.githubRequests),
    ]),
  )
}

function breakdownSection(r: Results, image: string): string {
  const inst = instrumentedOf(r, image)
  const b = typical(inst)
  if (!inst || !b) return `No instrumented release of the ${image} image in this run.`
  const lean = inst.lean
  const reads = b.smokeActionReads
  return `The instrumented release with the median time of ${inst.action.length} (${sec(b.timing.totalMs)}; the wrappers add a few ms per process): ${b.processes} processes, ${b.registryRequests} registry requests, ${b.githubRequests} GitHub API requests.

${smokeTable(b)}

During the smoke step the engine downloaded **${b.smokeBlobDownloads.count} blobs (${mb(b.smokeBlobDownloads.bytes)})** from the registry; its pulls made ${
    Object.entries(b.smokeEngineRequests ?? {})
      .map(([k, n]) => `${n} × ${k}`)
      .join(', ') || 'no request'
  } and found everything else in its own store (the lean script's smoke: ${lean.smokeBlobDownloads.count} blobs, ${mb(lean.smokeBlobDownloads.bytes)}); the action itself read ${reads.count} manifests and blobs (${mb(reads.bytes)}, busy ${ms(reads.busyMs)}) for the architecture check. The lean script's smoke, for comparison: ${Object.entries(
    lean.timing.platformSmokeMs,
  )
    .map(([p, v]) => `${short(p)} ${ms(v)}`)
    .join(', ')}, one after the other.

<details><summary>Every step of that release: processes, registry and GitHub requests</summary>

${stepProcessesTable(b)}

</details>`
}

function primitivesTable(r: Results): string {
  const engine = r.primitives.filter((p) => p.name.startsWith('preflight: '))
  const images = [
    ...new Set(r.primitives.filter((p) => p.platform).map((p) => p.name.split(': ')[0] ?? '')),
  ]
  const platforms = [...new Set(r.primitives.flatMap((p) => (p.platform ? [p.platform] : [])))]
  const names = [
    ...new Set(
      r.primitives
        .filter((p) => !p.name.startsWith('preflight: '))
        .map((p) => p.name.split(': ').slice(1).join(': ')),
    ),
  ]
  const columns = images.flatMap((i) => platforms.map((p) => ({ image: i, platform: p })))
  const perPlatform = table(
    ['Operation, alone (median)', ...columns.map((c) => `${c.image} ${short(c.platform)}`)],
    names.map((n) => [
      n,
      ...columns.map((c) => {
        const found = r.primitives.find(
          (p) =>
            p.name === `${c.image}: ${n}` &&
            (p.platform === c.platform || p.platform === undefined),
        )
        return found ? ms(found.medianMs) : ''
      }),
    ]),
  )
  const questions = table(
    ['What preflight asks, alone (median)', 'Time'],
    engine.map((p) => [p.name.replace('preflight: ', ''), ms(p.medianMs)]),
  )
  return `${perPlatform}\n\n${questions}`
}

function componentsTable(r: Results): string {
  if (r.components.length === 0) return 'Not measured in this run.'
  const g = componentSlope(r)
  return `${table(
    ['Components (2 platforms each)', 'Whole', 'Build', 'Smoke', 'The rest'],
    r.components.map((c) => [
      String(c.components),
      sec(c.series.medians.totalMs),
      sec(c.series.medians.buildMs),
      sec(c.series.medians.smokeMs),
      sec(c.series.medians.overheadMs),
    ]),
  )}

Per added component (least-squares slope over ${r.components.map((c) => c.components).join(', ')}): +${sec(g.total)} (build ${sec(g.build)}, smoke ${sec(g.smoke)}, the rest ${sec(g.rest)}).`
}

function sizesLine(r: Results): string {
  return r.imageSizes
    .map(
      (s) =>
        `${s.image}: ${s.layers} layers, ${mb(s.compressedBytes)} compressed per platform${s.dataBytes > 0 ? ` (${mb(s.dataBytes)} of generated data before compression)` : ''}`,
    )
    .join('; ')
}

function changesSection(r: Results): string {
  const codex = releaseChanges(r, 'codex-like')
  const realistic = releaseChanges(r, 'realistic')
  const byTitle = new Map(realistic.map((c) => [c.title, c]))
  const a = of(comparisonOf(r, 'codex-like', 'warm'), 'action')
  const lean = of(comparisonOf(r, 'codex-like', 'warm'), 'lean')
  const total = codex.reduce((n, c) => n + Math.max(0, c.gainMs), 0)
  const list = codex
    .map(
      (c, i) =>
        `${i + 1}. **${c.title}** — saves ~${ms(c.gainMs)} (codex-like), ~${ms(byTitle.get(c.title)?.gainMs ?? NaN)} (realistic); serves: ${c.targets}. ${c.how}.`,
    )
    .join('\n')
  const g = r.components.length > 1 ? componentSlope(r) : undefined
  const rss = peakRss(r)
  return `Ranked by what each would save on the codex-like warm release (the savings overlap in part: two platforms share 2 cores, so a shorter smoke on one lets the other run faster too):

${list}

Together about ${ms(total)}: the codex-like release would take ~${sec((a?.totalMs ?? NaN) - total)} against 0.90 × the lean script's ${sec(0.9 * (lean?.totalMs ?? NaN))}.

Beyond the release time:

- **Components** (${g ? `+${sec(g.total)} each: build ${sec(g.build)}, smoke ${sec(g.smoke)}, the rest ${sec(g.rest)}` : 'not measured'}${g && g.total <= 1200 ? '; met' : ''}): the smoke savings above apply to every component's containers; build all components in one BuildKit session (\`docker buildx bake\` with one target per component, or one \`buildx build\` per component started at once instead of 2 at a time) so the cached steps and pushes share one solve; promote each component's tags with one manifest PUT per tag at once, as today, but read them back once at the end instead of after each write.
- **Memory** (${kib(rss)} with a ${mb(r.memory.assetBytes)} asset, ${kib(plainRss(r))} without): ${rss * 1024 <= 150e6 ? 'met: the asset is hashed and uploaded through one reused 1 MiB buffer, written as the socket takes it (src/release/assets.ts, src/ports/github/streaming-fetch.ts), so the peak does not grow with its size' : 'see the target above'}.
- **Start-up** (${ms(r.startup.medianActionMs)}; ${ms(r.startup.medianCachedActionMs)} with NODE_COMPILE_CACHE): met today; see change "Start faster" above.`
}

const header = (
  r: Results,
): string => `# Benchmark: multiarch-release against a lean hand-written release and the floor

\`npm run bench\` (bench/run.ts) releases the same image on the real stack through four subjects,
a new commit and a new version every round (issue 19). The stack is the one \`MULTIARCH_STACK\`
names, as for the end-to-end tests; by default \`d28-classic-container\`: Docker 28 with the
classic image store and a docker-container builder, as on GitHub's runners with
docker/setup-buildx-action. \`MULTIARCH_STACK=d26 npm run bench\` measures the lab's primary
engine (Docker 26.1, containerd 1.7's image store), where removing a container alone takes
about a second.

- the **action**: the bundled dist/index.js on Node 24 (\`${r.node24}\`, \`$NODE24\` from
  /etc/multiarch-release/node24.env, as the runner runs \`node24\` actions), on default settings
  (buildx's default provenance), with \`smoke-http: 8080/health\` and \`smoke-http-expect: ok\`,
  against a git checkout, the GitHub API stand-in and a push event's payload (which names the
  default branch, as GitHub's does). It also drafts and publishes the GitHub
  Release, writes a verified marker, reads every tag back and cleans up;
- the **lean script** ([lean.sh](lean.sh)): \`buildx build --push\` to a candidate tag; per platform,
  one after the other, \`docker run -d -p 127.0.0.1::8080\` and a curl poll of /health, then
  \`docker rm -f\`; \`imagetools inspect --raw\` to assert the platforms; one \`imagetools create\` with
  the four tags. No GitHub Release;
- the **floor** ([floor.sh](floor.sh)): one \`buildx build --push\` of the four final tags, no check;
- [by-hand.sh](by-hand.sh) (codex-like, warm only): the longer hand-written release of issue 8
  (a pull, an extra \`docker run\` per platform, one \`imagetools create\` per tag).

Images (${sizesLine(r)}):

- **codex-like**: the example image (static busybox, /health on 8080) with two RUN steps, each
  run under QEMU for arm64 (bench/support/images.ts);
- **realistic**: multi-stage; a build stage checksums generated documentation under QEMU; the
  final image holds two layers of incompressible generated data (models, libraries) shared by the
  platforms and the built documentation. The data is generated deterministically (AES-CTR of
  zeros keyed by the file name) into the temporary folder on first use and hard-linked into each
  checkout, never committed.

Method:

- **Warm**: one checkout and image repository per subject, an untimed first release, then
  ${r.options.rounds} rounds. Every round commits a change to bench-round.txt, which .dockerignore keeps
  out of the build: the commit is new (the action cannot reuse a verified digest), every layer
  comes from the build cache, and the version label makes a new image config, so every subject
  pushes new manifests. Round _r_ runs the subjects in the order rotated by _r_.
- **Cold**: the same, with \`docker buildx prune --all --force\` before each timed release, as
  on a fresh runner releasing to a repository that exists; ${r.options.coldRounds} round(s).
- **Times**: whole = spawn to exit. The action's steps come from its job summary's timeline
  (millisecond start and end of each step); each platform's smoke from the arrival of its
  \`smoke n/2 … passed\` log line. The scripts time their phases with bash's own clock.
- **Where the smoke time goes**: ${r.options.instrumented} more release(s) of the action and one of the lean
  script per image with docker, git, jq and curl behind wrappers that log each call's start and end
  (bench/support/calls.ts), and the registry behind a metering proxy that logs each request's
  client, time and bytes (bench/support/registry-meter.ts). No timing hook in src/.
- **Operations alone**: each engine operation of a smoke test, one at a time, ${r.options.primitiveReps} times (bench/support/primitives.ts).
- **Memory**: the action runs with \`NODE_OPTIONS=--import bench/peak-rss.mjs\`, which writes
  the process's own high-water mark (VmHWM of /proc/self/status) when it exits
  (\`process.resourceUsage().maxRSS\` would report the benchmark's own size, which the child
  inherits across fork and exec).

Run \`npm run bench\` (${Math.ceil(r.durationMs / 60_000)} minutes here) after scripts/setup-stack.sh (the stack,
the busybox fixtures in example/bin, Node 24), when the machine is quiet: it waits up to
\`--wait-quiet 10\` minutes for a 1-minute load average under \`--max-load 1.5\`, then measures
anyway and says so below. \`--quick\` measures every section with fewer rounds (about 6 minutes);
\`--rounds\`, \`--cold-rounds\`, \`--component-rounds\`, \`--memory-rounds\`, \`--instrumented\`,
\`--primitive-reps\`, \`--startup-runs\` set each count; \`--no-write\` only prints;
\`--report-only\` renders this file again from bench/results.json; \`--remove-images\` removes the
engine's copies of the benchmark's images afterwards.
`

export function renderReadme(r: Results, targets = evaluateTargets(r)): string {
  return `${header(r)}
## Machine

${machineSection(r)}

## Targets (issue 19)

${targetsTable(targets)}

## Whole release (medians, 2 platforms: linux/amd64 + linux/arm64)

${releaseTable(r)}

${phasesTable(r)}

The floor's "build" is its whole release. "The rest" is everything but the build and the smoke.
The lean script's platforms run one after the other, each alone: the target's "smoke alone".

## The action's steps

${stepsTable(r)}

## Where the smoke time goes

### codex-like

${breakdownSection(r, 'codex-like')}

### realistic

${breakdownSection(r, 'realistic')}

### Each operation alone

${primitivesTable(r)}

## Components (action, warm)

${componentsTable(r)}

## Memory

| Release with a ${mb(r.memory.assetBytes)} asset | Peak RSS, median | Peak RSS, max | Whole release, median |
| --- | --- | --- | --- |
| codex-like, warm, 2 platforms | ${kib(median(r.memory.series.rounds.map((t) => t.peakRssKb ?? 0)))} | ${kib(peakRss(r))} | ${sec(r.memory.series.medians.totalMs)} |

Without an asset the peak is ${kib(plainRss(r))} (the warm codex-like releases).

## Start-up and bundle

| Node.js ${r.node24} | Wall time, median of ${r.startup.runs} | Peak RSS |
| --- | --- | --- |
| \`node -e ''\` | ${ms(r.startup.medianNodeMs)} | ${kib(r.startup.nodeRssKb)} |
| \`node dist/index.js\` with INPUT_MODE=nope (exits after parsing the inputs) | ${ms(r.startup.medianActionMs)} | ${kib(r.startup.actionRssKb)} |
| the same with NODE_COMPILE_CACHE filled by an earlier run | ${ms(r.startup.medianCachedActionMs)} | |
| dist/index.js | ${r.startup.bundleBytes} bytes (${mb(r.startup.bundleBytes)}) | |

## What would meet the missed targets

${changesSection(r)}
`
}

/** The figures that changed since the previous results.json, as text. */
export function compareWithPrevious(previous: Results, now: Results): string {
  const before = previous.metrics
  const digits = (name: string): number => (name.endsWith('ratio') ? 2 : 0)
  const lines = Object.entries(now.metrics)
    .filter(([name]) => before[name] !== undefined)
    .map(([name, value]) => {
      const old = before[name] ?? NaN
      const from = old.toFixed(digits(name)).padStart(10)
      const to = value.toFixed(digits(name)).padStart(10)
      return `  ${name.padEnd(40)} ${from} → ${to}  ${percentChange(old, value)}`
    })
  return [`Compared with the previous results.json (${previous.date}):`, ...lines].join('\n')
}
