import { formatPlatform, type Platform } from './platform.js'

/** A span of time in milliseconds, parsed from whole seconds. */
export type Duration = { readonly ms: number }

export const seconds = (s: number): Duration => ({ ms: s * 1000 })

/** Per-platform timeouts: a default, and overrides such as linux/arm64=300. */
export interface TimeoutTable {
  readonly fallback: Duration
  readonly overrides: ReadonlyMap<string, Duration>
}

export function timeoutFor(table: TimeoutTable, platform: Platform): Duration {
  return table.overrides.get(formatPlatform(platform)) ?? table.fallback
}

export const ACCEPTED_SECONDS = 'use a whole number of seconds from 1 to 86400'

export function parseSeconds(text: string): Duration | string {
  const t = text.trim()
  if (!/^\d+$/.test(t)) return `'${text}' is not a whole number of seconds`
  const n = Number(t)
  if (n < 1 || n > 86400) return `${n} is out of range`
  return seconds(n)
}
