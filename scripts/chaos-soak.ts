// A soak of the crash-anywhere test: `npm run test:chaos -- --schedules N --seed S`. Each
// schedule releases, interrupts the run at a seeded random moment, re-runs until it completes,
// and checks the promises after every run (__tests__/support/chaos). The table goes to its own
// section of docs/reliability.md; a violation fails the soak and names the schedule to re-run
// (`--seed S --from I --schedules 1`).
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import freshDist from '../__tests__/support/fresh-dist.js'
import {
  runConcurrent,
  runSchedule,
  startHarness,
  stopHarness,
  type ScheduleRow,
} from '../__tests__/support/chaos/harness.js'
import { chaosTable, tally, verdictOf } from '../__tests__/support/chaos/report.js'
import { makeSchedule } from '../__tests__/support/chaos/schedule.js'
import { requireStack } from '../__tests__/support/stack.js'
import { writeSection } from './reliability-doc.js'

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '20' },
    seed: { type: 'string', default: '17' },
    from: { type: 'string', default: '0' },
    // Every n-th schedule is four runs of the release at once, some of them killed.
    'concurrent-every': { type: 'string', default: '10' },
    // Leave docs/reliability.md alone (a re-run of one schedule, say).
    'no-doc': { type: 'boolean', default: false },
  },
})
const count = Number(values.schedules)
const seed = Number(values.seed)
const from = Number(values.from)
const every = Number(values['concurrent-every'])

await requireStack()
freshDist()
const started = Date.now()
const harness = await startHarness()
console.log(`A clean release takes ${(harness.calibration.durationMs / 1000).toFixed(1)} s here`)
const rows: ScheduleRow[] = []
try {
  for (let index = from; index < from + count; index++) {
    const concurrent = every > 0 && index % every === every - 1
    const row = concurrent
      ? await runConcurrent(harness, seed, index)
      : await runSchedule(harness, makeSchedule(seed, index))
    rows.push(row)
    console.log(
      `${row.id}  ${row.moment} | ${row.signal}${row.cancelMs === undefined ? '' : ` (ended ${row.cancelMs} ms after SIGINT)`} | ${row.fault} | ${row.step} | ${row.attempts} | ${verdictOf(row)}`,
    )
    for (const note of row.notes) console.log(`    note: ${note}`)
    mkdirSync('tmp', { recursive: true })
    writeFileSync('tmp/chaos-soak.json', JSON.stringify(rows, null, 2))
  }
} finally {
  await stopHarness(harness)
}

const violated = rows.filter((r) => r.violations.length > 0)
const minutes = Math.round((Date.now() - started) / 60_000)
const cancels = rows.flatMap((r) => (r.cancelMs === undefined ? [] : [r.cancelMs]))
const engine = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
  encoding: 'utf8',
}).trim()
const body = `## Crash anywhere: the latest soak

\`npm run test:chaos -- --schedules ${count} --seed ${seed}\` released the example image (both
platforms, smoke-run and smoke-http, a release asset) through the registry proxy and the GitHub
stand-in, interrupted each first run at a seeded random moment (half on one of the release's
writes, half anywhere in a run), with SIGKILL of the whole process tree (then the post step, or
not: a lost machine) or the runner's cancellation (SIGINT, SIGTERM 7.5 s later, a kill 2.5 s
after that, then the post step), sometimes with one fault armed; then re-ran it (attempt 2, 3,
…) until one succeeded. Every ${every}th schedule is four runs of the release at once, some
killed. The promises were checked after every run, from the registry, the stand-in and the
engine's events: (1) a published Release has every final tag on one digest of exactly the
platforms, the git tag at the released commit, each asset once with its bytes, and SHA256SUMS;
(2) a final tag never changes digest; (3) no final tag on a digest that was not recorded as verified
and whose platforms did not each run a smoke command that exited 0; (4) in the end a re-run
succeeded within 3, exactly one Release (no draft left), the outputs match the registry, no
container of the action is left; and a cancelled run ended before SIGTERM.

Soak of ${new Date().toISOString().slice(0, 10)}: ${rows.length} schedules (seed ${seed}), ${violated.length} violations, ${minutes} min,
Docker engine ${engine}, ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(1) ?? '?'} at the end). A clean release took
${(harness.calibration.durationMs / 1000).toFixed(1)} s. The runner's cancellation ended the run in at most ${
  cancels.length > 0 ? (Math.max(...cancels) / 1000).toFixed(1) : '–'
} s after SIGINT (${cancels.length} cancellations).

- Steps reached: ${tally(rows, (r) => r.step)}.
- Signals: ${tally(rows, (r) => r.signal)}.
- Faults: ${tally(rows, (r) => r.fault.split(' on ')[0] ?? r.fault)}.
- Attempts until a run succeeded: ${tally(rows, (r) => String(r.attempts))}.

${chaosTable(rows)}
`
if (!values['no-doc']) writeSection('chaos', body)
console.log(
  `\n${rows.length} schedules, ${violated.length} violations, ${minutes} min${values['no-doc'] ? '' : '; written to docs/reliability.md'}`,
)
for (const row of violated) console.log(`VIOLATED ${row.id}: ${row.violations.join('; ')}`)
if (violated.length > 0) process.exit(1)
