// One chaos schedule: when the first run is interrupted, how, and which fault is armed.
import { Random, scheduleSeed } from './random.js'
import { AIMED_WRITES, describeWrite, type WriteMoment } from './writes.js'

/** When the first run is interrupted: after some time, or as a chosen write arrives. */
export type Moment =
  /** A fraction of a clean run's duration on this machine. */
  | { readonly kind: 'time'; readonly fraction: number }
  | { readonly kind: 'write'; readonly write: WriteMoment; readonly delayMs: number }

/**
 * How: SIGKILL of the whole process tree (an out-of-memory kill, after which the runner still
 * runs the post step, or a lost machine, after which nothing runs), or the runner's
 * cancellation: SIGINT, SIGTERM 7.5 s later, the tree killed 2.5 s after that, then post.
 */
export type Kill =
  { readonly signal: 'SIGKILL'; readonly post: boolean } | { readonly signal: 'cancel' }

export const CANCEL_SIGTERM_MS = 7_500
export const CANCEL_KILL_MS = 10_000

/** GitHub operations a release writes with. */
export const GITHUB_WRITES = [
  'repos/generate-release-notes',
  'repos/create-release',
  'repos/upload-release-asset',
  'git/create-commit',
  'git/create-ref',
  'git/update-ref',
  'repos/update-release',
  'git/delete-ref',
] as const
/** Registry manifests a release writes: by digest (the untagged candidate), or a final tag. */
export const REGISTRY_WRITES = ['by digest', '1.0.0', '1.0', '1', 'latest'] as const

export type FaultPlan =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'fault'
      readonly via: 'github' | 'registry'
      /** A GitHub operation, or a registry tag (`by digest`: any manifest PUT by its digest). */
      readonly target: string
      /** 5xx: an error answer; reset: the connection dropped; lost answer: after the write. */
      readonly how: '5xx' | 'reset' | 'lost answer'
      readonly status: number
      readonly times: number
    }

export interface Schedule {
  /** `<soak seed>/<index>`: enough to run the very same schedule again. */
  readonly id: string
  readonly seed: number
  readonly index: number
  readonly moment: Moment
  readonly kill: Kill
  readonly fault: FaultPlan
}

function faultPlan(random: Random): FaultPlan {
  if (random.chance(0.4)) return { kind: 'none' }
  const via = random.pick(['github', 'registry'] as const)
  const target = via === 'github' ? random.pick(GITHUB_WRITES) : random.pick(REGISTRY_WRITES)
  const how = random.pick(['5xx', '5xx', 'reset', 'lost answer'] as const)
  return {
    kind: 'fault',
    via,
    target,
    how,
    status: how === 'lost answer' ? 502 : random.pick([500, 502, 503]),
    times: how === '5xx' ? random.pick([1, 2, Infinity]) : 1,
  }
}

/** The schedule of one index of a soak: the same seed and index always give the same one. */
/** A moment: half land on a write (short steps, but where the promises live), half anywhere. */
export function randomMoment(random: Random, writes = true): Moment {
  return writes && random.chance(0.5)
    ? { kind: 'write', write: random.pick(AIMED_WRITES), delayMs: random.int(0, 40) }
    : { kind: 'time', fraction: random.next() }
}

export const randomKill = (random: Random): Kill =>
  random.chance(0.5) ? { signal: 'SIGKILL', post: random.chance(0.5) } : { signal: 'cancel' }

/** The schedule of one index of a soak: the same seed and index always give the same one. */
export function makeSchedule(seed: number, index: number): Schedule {
  const random = new Random(scheduleSeed(seed, index))
  const moment = randomMoment(random)
  const kill = randomKill(random)
  return { id: `${seed}/${index}`, seed, index, moment, kill, fault: faultPlan(random) }
}

export const describeMoment = (m: Moment): string =>
  m.kind === 'time'
    ? `at ${Math.round(m.fraction * 100)}% of a run`
    : `at ${describeWrite(m.write)}${m.delayMs > 0 ? ` +${m.delayMs} ms` : ''}`

export const describeKill = (k: Kill): string =>
  k.signal === 'cancel' ? 'SIGINT→SIGTERM→kill' : `SIGKILL${k.post ? '' : ', no post'}`

export function describeFault(f: FaultPlan): string {
  if (f.kind === 'none') return 'none'
  const times = f.times === Infinity ? ' always' : f.times > 1 ? ` ×${f.times}` : ''
  const what = f.how === '5xx' ? String(f.status) : f.how
  return `${f.via === 'github' ? 'GitHub' : 'registry'} ${what} on ${f.target}${times}`
}
