// Small statistics and formatting helpers for the benchmark's tables.

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

/** The least-squares slope of y over x: how much y grows per unit of x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my)
    den += ((xs[i] ?? 0) - mx) ** 2
  }
  return den === 0 ? NaN : num / den
}

/** Milliseconds as seconds with two decimals, e.g. "1.23 s". */
export const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

/** A ratio with two decimals, e.g. "1.87". */
export const ratio = (value: number): string => value.toFixed(2)

/** A signed change in percent, e.g. "+3.1 %". */
export const percentChange = (before: number, after: number): string => {
  const change = ((after - before) / before) * 100
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`
}

/** Bytes as MB (10^6 bytes) with two decimals. */
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`
