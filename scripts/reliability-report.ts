// Turns the fault-injection suite's results (tmp/fault-report.json, written by
// __tests__/e2e/faults.test.ts) into a table: printed, and kept in docs/reliability.md (its
// own section: the chaos soak writes another).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { writeSection } from './reliability-doc.js'

interface Row {
  point: string
  firstRun: string
  promisesHeld: boolean
  rerun: string
}

const rows = JSON.parse(readFileSync('tmp/fault-report.json', 'utf8')) as Row[]
/** The history suite's cases: versions, branches, races (__tests__/e2e/history.test.ts). */
const cases = JSON.parse(readFileSync('tmp/history-report.json', 'utf8')) as {
  point: string
  checked: string
}[]
const engine = (() => {
  try {
    return execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
    }).trim()
  } catch {
    return 'unknown'
  }
})()
const table = [
  '| Fault point | First run | Promises held | Re-run |',
  '| --- | --- | --- | --- |',
  ...rows.map(
    (r) => `| ${r.point} | ${r.firstRun} | ${r.promisesHeld ? 'yes' : 'NO'} | ${r.rerun} |`,
  ),
].join('\n')
const caseTable = [
  '| Case | What was checked in the registry and the GitHub stand-in |',
  '| --- | --- |',
  ...cases.map((c) => `| ${c.point} | ${c.checked} |`),
].join('\n')
const held = rows.filter((r) => r.promisesHeld && !r.rerun.startsWith('FAILED')).length
const doc = `## Injected faults

\`npm run test:faults\` injects a fault at every point of the pipeline on the real stack (a
fault-injecting proxy in front of the loopback registry, the GitHub stand-in's switches, a
SIGTERM), checks the promises (no final tag before proof, no published Release before the
images, a failure that says where things stand), then re-runs without the fault and checks
that the release completes exactly once: one Release, one copy of each asset, every tag on
one digest.

Latest run: ${new Date().toISOString().slice(0, 10)}, Docker engine ${engine}, ${cpus().length} CPUs,
${Math.round(totalmem() / 2 ** 30)} GiB. ${held} of ${rows.length} fault points held every promise.

${table}

## The release history, branches and races

The history suite (\`__tests__/e2e/history.test.ts\`, run by \`npm run test:faults\` too)
releases against histories this action did not write and forces races between runs releasing
different versions (a proxy holds one run's request while the other arrives; a run is killed
holding the release lease). Every case below held; a case that fails is missing from the table
and fails the suite.

${caseTable}
`
writeSection('faults', doc)
console.log(table)
console.log(
  `\n${held} of ${rows.length} fault points held every promise; written to docs/reliability.md`,
)
if (held !== rows.length) process.exit(1)
