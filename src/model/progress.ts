// Progress lines for the log: a long step says how far it got, one line per finished part.

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * Counts the parts of a step as they finish, in the order they finish (parts run in parallel):
 * `build 1/3 linux/arm64 done in 4.2 s`, `smoke 2/4 linux/arm64 failed in 0.8 s: run true: exit 1`.
 */
export function progress(
  step: string,
  total: number,
): (what: string, outcome: string, ms: number, detail?: string) => string {
  let finished = 0
  return (what, outcome, ms, detail) => {
    finished++
    return `${step} ${finished}/${total} ${what} ${outcome} in ${formatSeconds(ms)}${detail ? `: ${detail}` : ''}`
  }
}
