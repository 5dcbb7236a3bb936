// Runs chaos schedules on the shared stack: a release interrupted at a chosen moment, re-run
// until it completes, the promises checked after every run.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun, ActionRunOptions } from '../action-run.js'
import { startRegistryProxy, type RegistryProxy } from '../registry-proxy.js'
import { releaseWorld, type ReleaseWorld } from '../release-world.js'
import { killTree, runPostStep } from '../runner-steps.js'
import { EngineEvents } from './engine-events.js'
import { checkAfterRun, checkAtEnd, VERSION, type ReleaseUnderTest } from './invariants.js'
import {
  CANCEL_KILL_MS,
  CANCEL_SIGTERM_MS,
  describeFault,
  describeKill,
  describeMoment,
  randomKill,
  type FaultPlan,
  type Kill,
  type Moment,
  type Schedule,
} from './schedule.js'
import { stepReached } from './steps.js'
import { Random, scheduleSeed } from './random.js'
import { WriteCounter, gitHubWrite, missingWrites, registryWrite } from './writes.js'

/** What a clean run of the release takes on this machine. */
export interface Calibration {
  readonly durationMs: number
}

export const INPUTS = {
  version: VERSION,
  'smoke-run': 'true',
  'smoke-http': '8080/health',
  'release-assets': 'out/*.txt',
}
const ASSET = { name: 'notes.txt', bytes: Buffer.from('release notes of 1.0.0\n') }
/** A re-run must succeed within this many attempts after the interrupted one. */
export const RERUNS = 3

export interface Harness {
  readonly proxy: RegistryProxy
  readonly engine: EngineEvents
  calibration: Calibration
}

/** One schedule's result, as the soak's table shows it. */
export interface ScheduleRow {
  readonly id: string
  readonly moment: string
  readonly signal: string
  readonly fault: string
  /** The step the interrupted run was in when the interruption came. */
  readonly step: string
  /** Runs until one succeeded (1: the interrupted run itself finished). */
  readonly attempts: number
  /** From SIGINT to the end of the process, for the runner's cancellation. */
  readonly cancelMs?: number
  readonly violations: readonly string[]
  /** What happened that breaks no promise (a re-run that failed before one succeeded). */
  readonly notes: readonly string[]
}

interface World {
  readonly w: ReleaseWorld
  readonly release: ReleaseUnderTest
  readonly writes: WriteCounter
}

let runIds = 0
/** Run ids unique to this process, numeric as GitHub's are. */
const nextRunId = (): string => String(Date.now() % 1e9) + String(++runIds).padStart(3, '0')

async function world(h: Harness, label: string): Promise<World> {
  const path = `e2e/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const w = await releaseWorld(label, {}, { name: `${h.proxy.host}/${path}`, path })
  mkdirSync(join(w.repo.dir, 'out'))
  writeFileSync(join(w.repo.dir, 'out', ASSET.name), ASSET.bytes)
  const writes = new WriteCounter()
  w.github.onRequest((r) => {
    const what = gitHubWrite(r.method, r.operation)
    if (what) writes.arrived({ via: 'github', what })
  })
  h.proxy.onRequest((method, url) => {
    if (!url.startsWith(`/v2/${path}/`)) return
    const what = registryWrite(method, url)
    if (what) writes.arrived({ via: 'registry', what })
  })
  const release: ReleaseUnderTest = {
    path,
    image: w.image.name,
    github: w.github,
    commit: w.repo.sha,
    asset: ASSET,
    runs: new Set(),
    firstSeen: new Map(),
    proxyLog: h.proxy.log,
    engine: h.engine,
  }
  return { w, release, writes }
}

/** Starts the proxy and the engine's event stream, and measures one clean release. */
export async function startHarness(): Promise<Harness> {
  const proxy = await startRegistryProxy()
  const engine = await EngineEvents.start()
  const h: Harness = { proxy, engine, calibration: { durationMs: 0 } }
  const { w, writes } = await world(h, 'chaos-calibration')
  try {
    const started = Date.now()
    const run = await w.run(INPUTS)
    if (run.exitCode !== 0) throw new Error(`the clean release failed: ${run.errors.join('\n')}`)
    h.calibration = { durationMs: Date.now() - started }
    // Every write a kill is aimed at must happen in a clean run, or those kills would never land.
    const missing = missingWrites(writes.seen)
    if (missing.length > 0)
      throw new Error(`a clean release made none of ${JSON.stringify(missing)}`)
  } finally {
    await w.github.close()
  }
  return h
}

export async function stopHarness(h: Harness): Promise<void> {
  h.engine.stop()
  await h.proxy.close()
}

/** Arms the schedule's fault for the first run. */
function arm(h: Harness, { w, release }: World, fault: FaultPlan): void {
  if (fault.kind === 'none') return
  const { how, status, times } = fault
  if (fault.via === 'github') {
    w.github.fail({
      route: fault.target,
      times,
      ...(how === 'reset' ? { hangUp: true } : { status }),
      ...(how === 'lost answer' ? { afterEffect: true } : {}),
    })
    return
  }
  const tag = fault.target === 'by digest' ? 'sha256:[0-9a-f]+' : fault.target.replace(/\./g, '\\.')
  h.proxy.fail({
    method: 'PUT',
    path: new RegExp(`^/v2/${release.path}/manifests/${tag}$`),
    times,
    ...(how === 'reset' ? { hangUp: true } : { status }),
    ...(how === 'lost answer' ? { afterEffect: true } : {}),
  })
}

interface Interrupted {
  readonly run: ActionRun
  /** Whether the interruption came before the run ended. */
  readonly landed: boolean
  readonly cancelMs?: number
}

/** Runs once, interrupted at the moment, as the kill says. */
async function interrupted(
  h: Harness,
  world: World,
  options: Partial<ActionRunOptions>,
  moment: Moment,
  kill: Kill,
): Promise<Interrupted> {
  let child: ChildProcess | undefined
  let exited = false
  let exitedAt = 0
  let firedAt = 0
  const timers: NodeJS.Timeout[] = []
  const fire = (): void => {
    const pid = child?.pid
    if (exited || firedAt !== 0 || pid === undefined) return
    firedAt = Date.now()
    if (kill.signal === 'SIGKILL') {
      killTree(pid, 'SIGKILL')
      return
    }
    child?.kill('SIGINT')
    timers.push(
      setTimeout(() => {
        if (!exited) child?.kill('SIGTERM')
      }, CANCEL_SIGTERM_MS),
      setTimeout(() => {
        if (!exited) killTree(pid, 'SIGKILL')
      }, CANCEL_KILL_MS),
    )
  }
  if (moment.kind === 'write') {
    world.writes.aim(moment.write, () => {
      timers.push(setTimeout(fire, moment.delayMs))
    })
  }
  const running = world.w.run(INPUTS, {
    ...options,
    onSpawn: (c) => {
      child = c
      c.on('exit', () => {
        exited = true
        exitedAt = Date.now()
      })
      if (moment.kind === 'time')
        timers.push(setTimeout(fire, moment.fraction * h.calibration.durationMs))
    },
  })
  const run = await running
  for (const timer of timers) clearTimeout(timer)
  return {
    run,
    landed: firedAt !== 0,
    ...(kill.signal === 'cancel' && firedAt !== 0 ? { cancelMs: exitedAt - firedAt } : {}),
  }
}

/** Runs one schedule to its end and judges it. */
export async function runSchedule(h: Harness, schedule: Schedule): Promise<ScheduleRow> {
  const world_ = await world(h, 'chaos')
  const { w, release } = world_
  const violations: string[] = []
  const notes: string[] = []
  const runId = nextRunId()
  const successes: ActionRun[] = []
  let step = 'not reached'
  let attempts = 0
  let cancelMs: number | undefined
  try {
    arm(h, world_, schedule.fault)
    release.runs.add(`${runId}-1`)
    const first = await interrupted(
      h,
      world_,
      { runId, runAttempt: '1' },
      schedule.moment,
      schedule.kill,
    )
    attempts = 1
    step = first.landed ? stepReached(first.run.stdout) : 'finished first'
    cancelMs = first.cancelMs
    if (cancelMs !== undefined && cancelMs > CANCEL_SIGTERM_MS)
      violations.push(`cancellation: the run outlived SIGINT by ${cancelMs} ms (SIGTERM needed)`)
    violations.push(...(await checkAfterRun(release)))
    if (first.run.exitCode === 0) successes.push(first.run)
    // The runner runs the post step unless the machine itself was lost.
    if (schedule.kill.signal === 'cancel' || schedule.kill.post) await runPostStep(first.run)
    w.github.clearFaults()
    h.proxy.clear()
    for (let attempt = 2; successes.length === 0 && attempt <= RERUNS + 1; attempt++) {
      release.runs.add(`${runId}-${attempt}`)
      const rerun = await w.run(INPUTS, { runId, runAttempt: String(attempt) })
      attempts = attempt
      violations.push(...(await checkAfterRun(release)))
      await runPostStep(rerun)
      if (rerun.exitCode === 0) successes.push(rerun)
      else notes.push(`re-run ${attempt} failed: ${rerun.errors.join(' ').slice(0, 300)}`)
    }
    violations.push(...(await checkAtEnd(release, successes)))
  } finally {
    h.proxy.clear()
    await w.github.close()
  }
  return {
    id: schedule.id,
    moment: describeMoment(schedule.moment),
    signal: describeKill(schedule.kill),
    fault: describeFault(schedule.fault),
    step,
    attempts,
    ...(cancelMs !== undefined ? { cancelMs } : {}),
    violations,
    notes,
  }
}

/**
 * Concurrency under kills: `runs` runs of the same release start at once (other run ids), some
 * of them killed at random moments; then each that did not succeed is re-run, all at once
 * again, until they have. The end: one Release, one digest, every success saying so.
 */
export async function runConcurrent(
  h: Harness,
  seed: number,
  index: number,
  runs = 4,
): Promise<ScheduleRow> {
  const random = new Random(scheduleSeed(seed, index))
  const world_ = await world(h, 'chaos-concurrent')
  const { w, release } = world_
  const violations: string[] = []
  const notes: string[] = []
  const successes: ActionRun[] = []
  // A killed lease holder blocks the other runs until its lease expires: 10 s, not 2 min.
  const env = { MULTIARCH_RELEASE_LEASE_TTL_MS: '10000' }
  const plans = Array.from({ length: runs }, () => {
    const killed = random.chance(0.6)
    // Runs at once take longer than one: their moments spread over one and a half runs.
    const moment: Moment = { kind: 'time', fraction: random.next() * 1.5 }
    return { runId: nextRunId(), killed, moment, kill: randomKill(random), attempt: 1, done: false }
  })
  const described = plans
    .map((p) => (p.killed ? `${describeKill(p.kill)} ${describeMoment(p.moment)}` : 'no kill'))
    .join('; ')
  let rounds = 0
  try {
    for (; rounds <= RERUNS && plans.some((p) => !p.done); rounds++) {
      const pending = plans.filter((p) => !p.done)
      const results = await Promise.all(
        pending.map(async (p) => {
          release.runs.add(`${p.runId}-${p.attempt}`)
          const options = { runId: p.runId, runAttempt: String(p.attempt), env }
          if (rounds === 0 && p.killed) {
            const { run } = await interrupted(h, world_, options, p.moment, p.kill)
            if (p.kill.signal === 'cancel' || p.kill.post) await runPostStep(run)
            return { p, run }
          }
          const run = await w.run(INPUTS, options)
          await runPostStep(run)
          return { p, run }
        }),
      )
      violations.push(...(await checkAfterRun(release)))
      for (const { p, run } of results) {
        if (run.exitCode === 0) {
          p.done = true
          successes.push(run)
        } else if (rounds > 0 || !p.killed) {
          notes.push(`run ${p.runId} attempt ${p.attempt}: ${run.errors.join(' ').slice(0, 200)}`)
        }
        p.attempt++
      }
    }
    if (plans.some((p) => !p.done)) violations.push('4: a run did not succeed within 3 re-runs')
    violations.push(...(await checkAtEnd(release, successes)))
  } finally {
    await w.github.close()
  }
  return {
    id: `${seed}/${index}`,
    moment: `${runs} runs at once: ${described}`,
    signal: 'mixed',
    fault: 'none',
    step: 'concurrent',
    attempts: rounds,
    violations,
    notes,
  }
}
