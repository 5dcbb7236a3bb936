import type { StepRecord } from '../run/report.js'

/** Words that open a Mermaid gantt statement: a task named so would be read as that statement. */
const GANTT_KEYWORDS =
  /^(title|section|dateformat|axisformat|tickinterval|excludes|includes|todaymarker|weekday|weekend|inclusiveenddates|topaxis|acctitle|accdescr|click)\b/i

/** A Mermaid task name: Mermaid ends a name at ':' and reads '#', ';' and '%' as syntax, so only plain characters stay. */
export function mermaidName(name: string): string {
  const plain = name
    .replace(/[^\p{L}\p{N} ._/()+-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  if (plain === '') return 'step'
  return GANTT_KEYWORDS.test(plain) ? `step ${plain}` : plain
}

/**
 * The steps as a Mermaid Gantt chart (GitHub renders it in the job summary): one task per step
 * that ran, from its start to its end in epoch milliseconds; the failed one is marked crit.
 * Skipped steps took no time and are left to the step table.
 */
export function renderGantt(timeline: readonly StepRecord[]): string[] {
  const tasks = timeline.flatMap((step, index) => {
    if (step.outcome === 'skipped') return []
    const tag = step.outcome === 'failed' ? 'crit' : step.outcome === 'done' ? 'done' : 'active'
    const end = Math.max(step.startedAt, step.endedAt ?? step.startedAt)
    return [`  ${mermaidName(step.name)} :${tag}, step${index}, ${step.startedAt}, ${end}`]
  })
  if (tasks.length === 0) return []
  return [
    '```mermaid',
    'gantt',
    '  dateFormat x',
    '  axisFormat %M:%S',
    '  todayMarker off',
    '  section Steps',
    ...tasks,
    '```',
  ]
}
