// The shape of bench/results.json, and the medians the tables show.
import type { ActionRevision, Machine } from './machine.js'
import type { SpawnAnalysis } from './spawns.js'
import type { Startup } from './startup.js'
import { median } from './stats.js'
import type { Timing } from './subjects.js'

/** The medians of several releases of one subject. */
export interface Medians {
  readonly totalMs: number
  readonly buildMs: number
  readonly smokeMs: number
  readonly overheadMs: number
  readonly parts: Readonly<Record<string, number>>
  /** One platform's own smoke time (the action only). */
  readonly platformSmokeMs: number
  /** One platform's time in each smoke check (the action only). */
  readonly checksMs: Readonly<Record<string, number>>
}

/** The same release through the action and the script, round by round. */
export interface Comparison {
  readonly platforms: readonly string[]
  readonly rounds: readonly { readonly action: Timing; readonly script: Timing }[]
  readonly action: Medians
  readonly script: Medians
  /** median(action total) ÷ median(script total). */
  readonly ratio: number
  /** Each round's action total ÷ the same round's script total. */
  readonly roundRatios: readonly number[]
}

export interface ComponentRow {
  readonly components: number
  readonly platforms: readonly string[]
  readonly rounds: readonly Timing[]
  readonly action: Medians
}

/** Issue 7: releases on a builder with an empty local cache, with and without cache: registry. */
export interface RegistryCacheRow {
  readonly platforms: readonly string[]
  /** cache: registry, the local build cache pruned before each release. */
  readonly withCache: readonly Timing[]
  /** cache: none, the local build cache pruned before each release. */
  readonly withoutCache: readonly Timing[]
  readonly withCacheMedians: Medians
  readonly withoutCacheMedians: Medians
}

export interface Results {
  readonly version: 1
  readonly date: string
  readonly options: { rounds: number; scaleRounds: number; startupRuns: number }
  readonly machine: Machine
  /** The action measured; a bundle that changed during the run makes the figures a mix. */
  readonly revision: ActionRevision & { readonly bundleChangedDuringRun: boolean }
  /** Whether a CI run was using the engine at any check during the run. */
  readonly ciActive: boolean
  readonly durationMs: number
  readonly startup: Startup
  readonly release: { readonly cold: Comparison; readonly warm: Comparison }
  readonly platforms: readonly Comparison[]
  /** The provenance input of the platform scaling releases (both subjects). */
  readonly platformProvenance: string
  /** What a single-platform release with provenance: false does. */
  readonly singlePlatformNoProvenance: string
  readonly components: readonly ComponentRow[]
  /** Absent in results written before issue 7's cache figures. */
  readonly registryCache?: RegistryCacheRow
  readonly spawns: {
    readonly action: SpawnAnalysis
    readonly script: SpawnAnalysis
    /** One manifest GET straight from the registry, for scale. */
    readonly manifestGetMs: number
  }
  /** Flat figures (name → number), what a later run compares itself with. */
  readonly metrics: Readonly<Record<string, number>>
}

export function medians(timings: readonly Timing[]): Medians {
  const names = [...new Set(timings.flatMap((t) => Object.keys(t.parts)))]
  return {
    totalMs: median(timings.map((t) => t.totalMs)),
    buildMs: median(timings.map((t) => t.buildMs)),
    smokeMs: median(timings.map((t) => t.smokeMs)),
    overheadMs: median(timings.map((t) => t.overheadMs)),
    parts: Object.fromEntries(names.map((n) => [n, median(timings.map((t) => t.parts[n] ?? 0))])),
    platformSmokeMs: median(timings.flatMap((t) => t.platformSmokeMs)),
    checksMs: Object.fromEntries(
      [...new Set(timings.flatMap((t) => Object.keys(t.checksMs)))].map((n) => [
        n,
        median(timings.flatMap((t) => t.checksMs[n] ?? [])),
      ]),
    ),
  }
}

/** The peak RSS figures of the action's warm two-platform releases, in KiB. */
export function warmPeakRss(results: Pick<Results, 'release'>): number[] {
  return results.release.warm.rounds.flatMap((r) =>
    r.action.peakRssKb !== undefined ? [r.action.peakRssKb] : [],
  )
}

/** Every figure worth comparing between two runs, flat. */
export function flatMetrics(results: Omit<Results, 'metrics'>): Record<string, number> {
  const metrics: Record<string, number> = {
    'startup.action.ms': results.startup.medianActionMs,
    'startup.node.ms': results.startup.medianNodeMs,
    'bundle.bytes': results.startup.bundleBytes,
    'memory.peakRss.max.kib': Math.max(...warmPeakRss(results)),
  }
  const add = (prefix: string, m: Medians): void => {
    metrics[`${prefix}.total.ms`] = m.totalMs
    metrics[`${prefix}.build.ms`] = m.buildMs
    metrics[`${prefix}.smoke.ms`] = m.smokeMs
    metrics[`${prefix}.overhead.ms`] = m.overheadMs
  }
  for (const kind of ['cold', 'warm'] as const) {
    const c = results.release[kind]
    add(`release.${kind}.action`, c.action)
    add(`release.${kind}.script`, c.script)
    metrics[`release.${kind}.ratio`] = c.ratio
  }
  for (const c of results.platforms) {
    add(`platforms.${c.platforms.length}.action`, c.action)
    add(`platforms.${c.platforms.length}.script`, c.script)
    metrics[`platforms.${c.platforms.length}.ratio`] = c.ratio
  }
  for (const row of results.components) add(`components.${row.components}.action`, row.action)
  if (results.registryCache) {
    add('registryCache.with.action', results.registryCache.withCacheMedians)
    add('registryCache.without.action', results.registryCache.withoutCacheMedians)
  }
  metrics['spawns.action.overhead.count'] = results.spawns.action.overheadSpawns
  metrics['spawns.action.total.count'] = results.spawns.action.spawns
  return metrics
}
