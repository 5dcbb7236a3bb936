// Runs the bundled action the way the runner does, on a git checkout of example/, against the
// loopback registry, then shows what landed there.
import { execFileSync } from 'node:child_process'
import { runAction } from '../__tests__/support/action-run.js'
import { createFixtureRepo } from '../__tests__/support/fixture-repo.js'
import { requireStack } from '../__tests__/support/stack.js'

await requireStack()
const repo = createFixtureRepo()
const image = `127.0.0.1:5000/demo/app`
const version = `1.0.${Math.floor(Date.now() / 1000) % 100000}`
console.log(`Releasing ${image} ${version} from ${repo.dir} (commit ${repo.sha.slice(0, 12)})…`)
const run = await runAction({
  workspace: repo.dir,
  sha: repo.sha,
  inputs: { image, version, platforms: 'linux/amd64,linux/arm64' },
})
process.stdout.write(
  run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n'),
)
console.log('\n== Outputs')
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value}`)
console.log('\n== Job summary\n' + run.summary)
if (run.exitCode !== 0) {
  console.error(`The demo release failed (exit ${run.exitCode}):\n${run.errors.join('\n')}`)
  process.exit(1)
}
console.log(`== docker buildx imagetools inspect ${image}@${run.outputs.digest ?? ''}`)
console.log(
  execFileSync(
    'docker',
    ['buildx', 'imagetools', 'inspect', `${image}@${run.outputs.digest ?? ''}`],
    { encoding: 'utf8' },
  ),
)
