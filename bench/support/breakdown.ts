// Where an action release spends its time: one release with every docker/git process logged
// (bench/support/calls.ts), every registry request metered (registry-meter.ts) and every GitHub
// API request counted, laid over the steps of the job summary's timeline.
import type { Call } from './calls.js'
import { coveredMs, kindOf } from './calls.js'
import { kindOfRequest, type MeteredRequest } from './registry-meter.js'
import { median } from './stats.js'
import type { StepSpan, Timing } from './subjects.js'

/** Processes or requests of one kind. */
export interface Group {
  readonly name: string
  readonly count: number
  /** The time during which at least one of them ran (parallel ones count once). */
  readonly busyMs: number
  readonly medianMs: number
  /** Bytes sent and received (registry requests). */
  readonly bytes?: number
}

export interface StepBreakdown {
  readonly name: string
  readonly startMs: number
  readonly ms: number
  readonly processes: readonly Group[]
  readonly registry: readonly Group[]
  readonly githubRequests: number
}

/** One platform's smoke, from the smoke step's start (ms). */
export interface PlatformSmoke {
  readonly platform: string
  /** From the smoke step's start to the platform's last process. */
  readonly totalMs: number
  /** The phases in order: each one's start (from the smoke step's start) and duration. */
  readonly phases: readonly {
    readonly name: string
    readonly startMs: number
    readonly ms: number
  }[]
}

export interface ReleaseBreakdown {
  readonly timing: Timing
  /** Spawn to the first step: node's start, loading the bundle, reading the inputs. */
  readonly beforeStepsMs: number
  /** The last step's end to the exit: outputs, the summary, the exit. */
  readonly afterStepsMs: number
  readonly steps: readonly StepBreakdown[]
  readonly smoke: readonly PlatformSmoke[]
  /** Blobs the engine downloaded during the smoke step: what it held already came again. */
  readonly smokeBlobDownloads: { readonly count: number; readonly bytes: number }
  /** Every request the engine made during the smoke step (its pulls), by kind. */
  readonly smokeEngineRequests: Readonly<Record<string, number>>
  /** The action's own registry reads during the smoke step (the architecture check). */
  readonly smokeActionReads: {
    readonly count: number
    readonly bytes: number
    readonly busyMs: number
  }
  readonly processes: number
  readonly registryRequests: number
  readonly githubRequests: number
}

function groups<T extends { startMs: number; endMs: number }>(
  items: readonly T[],
  key: (item: T) => string,
  bytes?: (item: T) => number,
): Group[] {
  const byKey = new Map<string, T[]>()
  for (const item of items) byKey.set(key(item), [...(byKey.get(key(item)) ?? []), item])
  return [...byKey]
    .map(([name, members]) => ({
      name,
      count: members.length,
      busyMs: coveredMs(members),
      medianMs: median(members.map((m) => m.endMs - m.startMs)),
      ...(bytes ? { bytes: members.reduce((n, m) => n + bytes(m), 0) } : {}),
    }))
    .sort((a, b) => b.busyMs - a.busyMs)
}

const inside = (span: { startMs: number; endMs: number }, from: number, to: number): boolean =>
  span.startMs >= from - 1 && span.startMs < to

/**
 * The calls of one platform's smoke: their container names or --platform name it, or the id of
 * a container it created (the architecture check's `docker cp` and `docker rm`).
 */
function platformCalls(calls: readonly Call[], platform: string): Call[] {
  const slug = platform.replace(/\//g, '-')
  const named = calls.filter(
    (c) =>
      c.command.includes(`--platform ${platform}`) ||
      c.command.includes(`-${slug}-`) ||
      c.command.includes(`--platform=${platform}`),
  )
  const ids = named.flatMap((c) => /=> ([0-9a-f]{12})$/.exec(c.command)?.slice(1) ?? [])
  return [
    ...named,
    ...calls.filter((c) => !named.includes(c) && ids.some((id) => c.command.includes(id))),
  ]
}

/** The phases of one platform: pull, the probe container's start, port, poll, removal, others. */
function platformSmoke(
  calls: readonly Call[],
  platform: string,
  smokeStart: number,
): PlatformSmoke {
  const mine = platformCalls(calls, platform).sort((a, b) => a.startMs - b.startMs)
  const phases: { name: string; startMs: number; ms: number }[] = []
  const add = (name: string, from: number, to: number): void => {
    phases.push({ name, startMs: from - smokeStart, ms: to - from })
  }
  const first = mine[0]
  if (first) add('until the first process', smokeStart, first.startMs)
  const detached = mine.find((c) => kindOf(c.command) === 'docker run -d')
  const port = mine.find((c) => kindOf(c.command) === 'docker port')
  const probeName = detached?.command.split(' ')[detached.command.split(' ').indexOf('--name') + 1]
  const removal = mine.find(
    (c) => kindOf(c.command) === 'docker rm -f' && probeName && c.command.includes(probeName),
  )
  for (const call of mine) {
    const kind = kindOf(call.command)
    const name =
      kind === 'docker inspect'
        ? 'docker inspect (is it running?)'
        : kind === 'docker create' || kind === 'docker cp'
          ? `${kind} (architecture)`
          : kind === 'docker rm -f' && call !== removal
            ? 'docker rm -f (architecture)'
            : kind
    add(name, call.startMs, call.endMs)
  }
  if (port && removal) add('HTTP poll until /health answers', port.endMs, removal.startMs)
  const last = Math.max(...mine.map((c) => c.endMs), smokeStart)
  return {
    platform,
    totalMs: last - smokeStart,
    phases: phases.sort((a, b) => a.startMs - b.startMs),
  }
}

export function analyseRelease(
  timing: Timing,
  spawnedAtEpochMs: number,
  exitedAtEpochMs: number,
  calls: readonly Call[],
  requests: readonly MeteredRequest[],
  githubTimes: readonly number[],
  platforms: readonly string[],
): ReleaseBreakdown {
  const at = (s: StepSpan): [number, number] => [
    spawnedAtEpochMs + s.startMs,
    spawnedAtEpochMs + s.endMs,
  ]
  const first = timing.timeline[0]
  const last = timing.timeline.at(-1)
  // Before the first step and after the last, as steps of their own.
  const spans: StepSpan[] = [
    ...(first ? [{ name: '(before the first step)', startMs: 0, endMs: first.startMs }] : []),
    ...timing.timeline,
    ...(last
      ? [
          {
            name: '(after the last step)',
            startMs: last.endMs,
            endMs: exitedAtEpochMs - spawnedAtEpochMs,
          },
        ]
      : []),
  ]
  const steps = spans.map((s) => {
    const [from, to] = at(s)
    return {
      name: s.name,
      startMs: s.startMs,
      ms: s.endMs - s.startMs,
      processes: groups(
        calls.filter((c) => inside(c, from, to)),
        (c) => kindOf(c.command),
      ),
      registry: groups(
        requests.filter((r) => inside(r, from, to)),
        (r) => `${r.client}: ${kindOfRequest(r)}`,
        (r) => r.requestBytes + r.responseBytes,
      ),
      githubRequests: githubTimes.filter((t) => t >= from - 1 && t < to).length,
    }
  })
  const smokeSpan = timing.timeline.find((s) => s.name === 'smoke')
  const [smokeFrom, smokeTo] = smokeSpan ? at(smokeSpan) : [0, 0]
  const duringSmoke = requests.filter((r) => inside(r, smokeFrom, smokeTo))
  const blobs = duringSmoke.filter((r) => r.client === 'engine' && kindOfRequest(r) === 'GET blob')
  const reads = duringSmoke.filter((r) => r.client === 'action')
  return {
    timing,
    beforeStepsMs: first?.startMs ?? 0,
    afterStepsMs: last ? exitedAtEpochMs - (spawnedAtEpochMs + last.endMs) : 0,
    steps,
    smoke: smokeSpan
      ? platforms.map((p) =>
          platformSmoke(
            calls.filter((c) => inside(c, smokeFrom, smokeTo)),
            p,
            smokeFrom,
          ),
        )
      : [],
    smokeBlobDownloads: {
      count: blobs.length,
      bytes: blobs.reduce((n, r) => n + r.responseBytes, 0),
    },
    smokeEngineRequests: duringSmoke
      .filter((r) => r.client === 'engine')
      .reduce<Record<string, number>>((counts, r) => {
        const kind = kindOfRequest(r)
        counts[kind] = (counts[kind] ?? 0) + 1
        return counts
      }, {}),
    smokeActionReads: {
      count: reads.length,
      bytes: reads.reduce((n, r) => n + r.responseBytes, 0),
      busyMs: coveredMs(reads),
    },
    processes: calls.length,
    registryRequests: requests.length,
    githubRequests: githubTimes.length,
  }
}
