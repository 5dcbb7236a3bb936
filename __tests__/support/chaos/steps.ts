// Which step a run was in when it was interrupted, read from what it had logged by then.

/** Log lines that end a step, in the pipeline's order, and the step that comes next. */
const MILESTONES: readonly [RegExp, string][] = [
  [/^Docker engine /, 'plan-release'],
  [/^Version \S+ \(/, 'build'],
  [/^Pushed the candidate /, 'assert-manifest'],
  [/^Index sha256:\S+ holds /, 'smoke'],
  [/^smoke \d+\/\d+ /, 'smoke'],
  [/^Recorded sha256:\S+ as verified/, 'draft-release'],
  [/^(Created|Reusing) the draft /, 'draft-release (assets)'],
  [/^Holding the release lease/, 'promote'],
  [/^Promoted \S+:(\S+) ->/, 'promote'],
  [/^The Release (becomes|does not become)/, 'publish'],
  [/^Published /, 'cleanup'],
]

/** The step in progress at the end of a log: the one after the last milestone logged. */
export function stepReached(stdout: string): string {
  let step = 'preflight'
  for (const line of stdout.split('\n')) {
    for (const [pattern, next] of MILESTONES) {
      const found = pattern.exec(line)
      if (!found) continue
      step = next === 'promote' && found[1] ? `promote (after ${found[1]})` : next
    }
  }
  return step
}
