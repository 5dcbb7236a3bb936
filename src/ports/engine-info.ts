// What preflight asks the engine: its version and image store (its socket, else `docker info`),
// buildx's version and the builder's facts (`buildx inspect --bootstrap`), all at once.
import { StepFailure } from '../model/errors.js'
import type { EngineInfo } from './container-engine.js'
import type { EngineApi, EngineFacts } from './engine-api.js'
import { parseBuilderInspect, parseBuildxVersion, parseEngineInfo } from './engine-output.js'
import { onPath, tail, type CommandResult, type Program } from './process.js'

/** The engine's version and image store: from its socket, else from `docker info`. */
async function engineFacts(
  docker: Program,
  api: EngineApi | undefined,
): Promise<{ facts: EngineFacts } | { facts: undefined; engine: CommandResult }> {
  const facts = await api?.engine()
  if (facts && onPath('docker')) return { facts }
  const engine = await docker.run(['info', '--format', '{{json .}}'])
  return { facts: parseEngineInfo(engine.stdout), engine }
}

/** What preflight asks the engine and buildx, at once; a failure says what to install or start. */
export async function askEngine(
  docker: Program,
  api: EngineApi | undefined,
  builder?: string,
): Promise<EngineInfo> {
  const [asked, buildx, inspect] = await Promise.all([
    engineFacts(docker, api),
    docker.run(['buildx', 'version']),
    docker.run(['buildx', 'inspect', '--bootstrap', ...(builder ? [builder] : [])]),
  ])
  const engine = 'engine' in asked ? asked.engine : undefined
  if (engine?.exitCode === 127) {
    throw new StepFailure(
      'the docker CLI is not installed',
      'install Docker on the runner (GitHub-hosted Ubuntu runners have it), or run scripts/setup-stack.sh on Debian',
    )
  }
  const server = asked.facts
  if (server === undefined || (engine !== undefined && engine.exitCode !== 0)) {
    throw new StepFailure(
      `the Docker engine does not answer: ${tail(engine?.stderr ?? '', 3)}`,
      'start the Docker engine (dockerd) before this step, and check that this user may use its socket',
    )
  }
  const buildxVersion = parseBuildxVersion(buildx.stdout)
  if (buildx.exitCode !== 0 || buildxVersion === undefined) {
    throw new StepFailure(
      `docker buildx is not available: ${tail(buildx.stderr || buildx.stdout, 3)}`,
      'install the buildx plugin (docker/setup-buildx-action, or the docker-buildx package)',
    )
  }
  if (inspect.exitCode !== 0) {
    throw new StepFailure(
      `the buildx builder${builder ? ` '${builder}'` : ''} cannot be used: ${tail(inspect.stderr, 3)}`,
      'create the builder first (docker/setup-buildx-action), or leave the builder input empty',
    )
  }
  return {
    serverVersion: server.version,
    buildxVersion,
    builder: parseBuilderInspect(inspect.stdout),
    containerdStore: server.containerdStore,
  }
}
