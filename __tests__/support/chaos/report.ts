// The soak's table, for docs/reliability.md.
import type { ScheduleRow } from './harness.js'

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function verdictOf(row: ScheduleRow): string {
  return row.violations.length === 0 ? 'held' : `VIOLATED: ${row.violations.join('; ')}`
}

/** The table: one row per schedule. */
export function chaosTable(rows: readonly ScheduleRow[]): string {
  return [
    '| Seed | Moment | Signal | Fault | Step reached | Attempts | Verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${[
          r.id,
          r.moment,
          r.cancelMs === undefined
            ? r.signal
            : `${r.signal} (ended ${(r.cancelMs / 1000).toFixed(1)} s after SIGINT)`,
          r.fault,
          r.step,
          String(r.attempts),
          verdictOf(r),
        ]
          .map(cell)
          .join(' | ')} |`,
    ),
  ].join('\n')
}

/** How often each value of a column came up: "smoke 31, promote (after 1.0) 4, …". */
export function tally(rows: readonly ScheduleRow[], column: (row: ScheduleRow) => string): string {
  const counts = new Map<string, number>()
  for (const row of rows) counts.set(column(row), (counts.get(column(row)) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => `${value} ${n}`)
    .join(', ')
}
