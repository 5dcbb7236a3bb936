// The shape of bench/results.json (version 2, issue 19), and the medians the tables show.
import type { Instrumented } from './instrumented.js'
import type { ActionRevision, LoadSummary, Machine } from './machine.js'
import type { Primitive } from './primitives.js'
import type { Startup } from './startup.js'
import { median } from './stats.js'
import type { SubjectName, Timing } from './subjects.js'

/** The medians of several releases of one subject. */
export interface Medians {
  readonly totalMs: number
  readonly buildMs: number
  readonly smokeMs: number
  readonly overheadMs: number
  readonly parts: Readonly<Record<string, number>>
  /** Each platform's own smoke time. */
  readonly platformSmokeMs: Readonly<Record<string, number>>
  /** One platform's time in each smoke check (the action only). */
  readonly checksMs: Readonly<Record<string, number>>
  /** Process start to the first step (the action only). */
  readonly beforeStepsMs: number
}

export interface Series {
  readonly rounds: readonly Timing[]
  readonly medians: Medians
}

/** The same release through several subjects, round by round, in rotating order. */
export interface Comparison {
  readonly image: 'codex-like' | 'realistic'
  readonly cache: 'warm' | 'cold'
  readonly platforms: readonly string[]
  readonly order: readonly (readonly SubjectName[])[]
  readonly subjects: Partial<Record<SubjectName, Series>>
  /** Each round's action total ÷ the same round's lean total. */
  readonly leanRatios: readonly number[]
}

export interface ComponentRow {
  readonly components: number
  readonly platforms: readonly string[]
  readonly series: Series
}

export interface ImageSize {
  readonly image: string
  /** Layer bytes of one platform's manifest as pushed (compressed). */
  readonly compressedBytes: number
  readonly layers: number
  /** Bytes of the generated data before compression. */
  readonly dataBytes: number
}

export interface Results {
  readonly version: 2
  readonly date: string
  readonly options: Readonly<Record<string, number | boolean>>
  readonly machine: Machine
  /** The action measured; a bundle that changed during the run makes the figures a mix. */
  readonly revision: ActionRevision & { readonly bundleChangedDuringRun: boolean }
  /** Whether a CI run was using the engine at any check during the run. */
  readonly ciActive: boolean
  readonly load: LoadSummary
  readonly durationMs: number
  readonly node24: string
  readonly startup: Startup
  readonly comparisons: readonly Comparison[]
  readonly imageSizes: readonly ImageSize[]
  readonly components: readonly ComponentRow[]
  readonly memory: { readonly assetBytes: number; readonly series: Series }
  readonly instrumented: readonly Instrumented[]
  readonly primitives: readonly Primitive[]
  /** Releases that failed once and were tried again (registry hiccups on a shared machine). */
  readonly retries: readonly string[]
  /** Flat figures (name → number), what a later run compares itself with. */
  readonly metrics: Readonly<Record<string, number>>
}

const medianOf = (values: readonly number[]): number => median(values)

export function medians(timings: readonly Timing[]): Medians {
  const keys = (pick: (t: Timing) => object): string[] => [
    ...new Set(timings.flatMap((t) => Object.keys(pick(t)))),
  ]
  return {
    totalMs: medianOf(timings.map((t) => t.totalMs)),
    buildMs: medianOf(timings.map((t) => t.buildMs)),
    smokeMs: medianOf(timings.map((t) => t.smokeMs)),
    overheadMs: medianOf(timings.map((t) => t.overheadMs)),
    parts: Object.fromEntries(
      keys((t) => t.parts).map((n) => [n, medianOf(timings.map((t) => t.parts[n] ?? 0))]),
    ),
    platformSmokeMs: Object.fromEntries(
      keys((t) => t.platformSmokeMs).map((p) => [
        p,
        medianOf(timings.flatMap((t) => t.platformSmokeMs[p] ?? [])),
      ]),
    ),
    checksMs: Object.fromEntries(
      keys((t) => t.checksMs).map((n) => [
        n,
        medianOf(timings.flatMap((t) => t.checksMs[n] ?? [])),
      ]),
    ),
    beforeStepsMs: medianOf(timings.flatMap((t) => t.timeline.slice(0, 1).map((s) => s.startMs))),
  }
}

export const series = (rounds: readonly Timing[]): Series => ({ rounds, medians: medians(rounds) })

/** The comparison of an image and cache state. */
export function comparisonOf(
  r: Pick<Results, 'comparisons'>,
  image: Comparison['image'],
  cache: Comparison['cache'],
): Comparison | undefined {
  return r.comparisons.find((c) => c.image === image && c.cache === cache)
}

/** Every figure worth comparing between two runs, flat. */
export function flatMetrics(results: Omit<Results, 'metrics'>): Record<string, number> {
  const metrics: Record<string, number> = {
    'startup.action.ms': results.startup.medianActionMs,
    'bundle.bytes': results.startup.bundleBytes,
    'memory.asset.peakRss.max.kib': Math.max(
      ...results.memory.series.rounds.map((t) => t.peakRssKb ?? 0),
    ),
  }
  for (const c of results.comparisons) {
    for (const [name, s] of Object.entries(c.subjects)) {
      metrics[`${c.image}.${c.cache}.${name}.total.ms`] = s.medians.totalMs
      metrics[`${c.image}.${c.cache}.${name}.build.ms`] = s.medians.buildMs
      metrics[`${c.image}.${c.cache}.${name}.smoke.ms`] = s.medians.smokeMs
    }
    const a = c.subjects.action?.medians.totalMs
    const l = c.subjects.lean?.medians.totalMs
    if (a !== undefined && l !== undefined) metrics[`${c.image}.${c.cache}.ratio`] = a / l
  }
  for (const row of results.components)
    metrics[`components.${row.components}.action.total.ms`] = row.series.medians.totalMs
  return metrics
}
