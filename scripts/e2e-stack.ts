// The stack an end-to-end run goes to (MULTIARCH_STACK, or the name given), in one line for the
// CI log: the engine's and the builder's versions as docker reports them, and the Node.js that
// runs the bundle. Fails, naming the fix, when the stack does not answer.
import { execFileSync } from 'node:child_process'
import { STACK_NAMES, docker, engineStack } from '../__tests__/support/engine-stack.js'
import { node24 } from '../__tests__/support/node24.js'

const stack = engineStack(process.argv[2] ?? process.env.MULTIARCH_STACK ?? 'd26')
try {
  const server = docker(['version', '--format', '{{.Server.Version}}'], { stack }).trim()
  const store = docker(['info', '--format', '{{json .DriverStatus}}'], { stack }).includes(
    'io.containerd.snapshotter',
  )
    ? 'containerd'
    : 'classic'
  const builder = stack.inputs.builder ?? stack.env.BUILDX_BUILDER
  const inspect = docker(['buildx', 'inspect', ...(builder ? [builder] : [])], { stack })
  const field = (name: string): string =>
    new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(inspect)?.[1]?.trim() ?? '?'
  const buildx = docker(['buildx', 'version'], { stack }).split(' ')[1] ?? '?'
  // the docker driver's BuildKit is the engine's own (it reports no version of its own)
  const buildkit =
    field('Driver') === 'docker'
      ? undefined
      : /^BuildKit version:\s*(.*)$/m.exec(inspect)?.[1]?.trim()
  console.log(
    [
      `stack ${stack.name}: ${stack.description}`,
      `  engine Docker ${server} (${store} image store), buildx ${buildx}, builder ${field('Name')} (${field('Driver')} driver${buildkit ? `, BuildKit ${buildkit}` : ''})${stack.inputs.builder ? ` as the builder input` : ''}`,
      `  the bundle runs on Node.js ${execFileSync(node24(), ['--version'], { encoding: 'utf8' }).trim()} (${node24()})`,
    ].join('\n'),
  )
} catch (error) {
  console.error(
    `stack ${stack.name} does not answer: ${String(error)}\nRun scripts/setup-stack.sh (as root); stacks: ${STACK_NAMES.join(', ')}`,
  )
  process.exit(1)
}
