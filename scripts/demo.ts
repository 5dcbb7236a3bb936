// A complete demo release: the bundled action, run the way the runner runs it, releases the
// example image for linux/amd64 and linux/arm64 to the loopback registry and publishes its
// GitHub Release on a local stand-in of the GitHub API; then it shows what landed where.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { releaseWorld } from '../__tests__/support/release-world.js'
import { requireStack } from '../__tests__/support/stack.js'

await requireStack()
const world = await releaseWorld('demo', {}, { name: '127.0.0.1:5000/demo/app', path: 'demo/app' })
const version = `1.0.${Math.floor(Date.now() / 1000) % 1_000_000}`
mkdirSync(join(world.repo.dir, 'out'))
writeFileSync(
  join(world.repo.dir, 'out', 'install.sh'),
  '#!/bin/sh\ndocker run --rm -p 8080:8080 127.0.0.1:5000/demo/app\n',
)
const inputs = {
  version,
  'smoke-run': 'uname -m\necho hello from the image',
  'smoke-http': '8080/health',
  'smoke-http-expect': 'ok',
  'release-assets': 'out/*',
}
// First what the release would do (mode: plan reads, and changes nothing).
console.log(`== Plan (mode: plan)\n`)
const plan = await world.run({ ...inputs, mode: 'plan' })
process.stdout.write(
  plan.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::'))
    .join('\n'),
)
console.log(
  `\n== Releasing ${world.image.name} ${version} (commit ${world.repo.sha.slice(0, 12)})…\n`,
)
const run = await world.run(inputs)
// The build's own progress lines are long; the action's lines tell the story.
process.stdout.write(
  run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n'),
)
console.log('\n== Outputs')
for (const [name, value] of Object.entries(run.outputs))
  console.log(`${name}: ${value.replace(/\n/g, ' ')}`)
console.log(`\n== Job summary\n${run.summary}`)
if (run.exitCode !== 0) {
  console.error(`The demo release failed (exit ${run.exitCode}):\n${run.errors.join('\n')}`)
  await world.github.close()
  process.exit(1)
}
console.log(`== docker buildx imagetools inspect ${world.image.name}:${version}`)
console.log(
  execFileSync('docker', ['buildx', 'imagetools', 'inspect', `${world.image.name}:${version}`], {
    encoding: 'utf8',
  }),
)
const [release] = world.github.releases('acme', 'app')
console.log(`== The GitHub Release (stand-in): ${release?.html_url ?? 'none'}`)
console.log(
  `draft: ${String(release?.draft)}, tag: ${release?.tag_name ?? ''}, assets: ${(release?.assets ?? []).map((a) => a.name).join(', ')}`,
)
console.log(release?.body ?? '')
await world.github.close()
