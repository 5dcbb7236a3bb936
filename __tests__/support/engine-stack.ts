import { execFileSync, type ExecFileSyncOptions } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The engine stacks and builders the end-to-end tests run on (docs/stacks.md). MULTIARCH_STACK
 * selects one for a whole run; each test's action runs and its own docker calls then go there.
 */
export const STACK_NAMES = [
  'd26',
  'd28c',
  'd28',
  'd28-classic-container',
  'remote',
  'fleet',
] as const
export type StackName = (typeof STACK_NAMES)[number]

export interface EngineStack {
  readonly name: StackName
  /** What it is, for the log: engine, image store, builder and driver. */
  readonly description: string
  /** The engine's major version, as the action logs it ("Docker engine 28.5.2…"). */
  readonly engineMajor: 26 | 28
  readonly imageStore: 'containerd' | 'classic'
  readonly driver: 'docker' | 'docker-container' | 'remote'
  /**
   * What the action's process and the tests' docker calls get: DOCKER_HOST, DOCKER_CONFIG,
   * BUILDX_BUILDER where the stack has them, and PATH (the stack's docker CLI first).
   */
  readonly env: Readonly<Record<string, string>> & { readonly PATH: string }
  /** Inputs the action needs on this stack (a builder that a workflow names). */
  readonly inputs: Readonly<Record<string, string>>
}

const CONF_DIR = '/etc/multiarch-release'
const SETUP = 'run scripts/setup-stack.sh (as root)'

/** KEY=value lines of a file scripts/setup-stack.sh wrote. */
export function readEnvFile(file: string): Map<string, string> {
  if (!existsSync(file)) throw new Error(`${file} is missing: ${SETUP}`)
  return new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  )
}

function pick(file: string, keys: readonly string[]): Record<string, string> {
  const values = readEnvFile(join(CONF_DIR, file))
  const out: Record<string, string> = {}
  for (const key of keys) {
    const value = values.get(key)
    if (value === undefined) throw new Error(`${CONF_DIR}/${file} has no ${key}: ${SETUP}`)
    out[key] = value
  }
  return out
}

/** The docker CLI of Docker 28 first in PATH, with an engine's or a builder's settings. */
function fromEnvFiles(
  engineFile: string,
  builderFile?: string,
): Record<string, string> & { PATH: string } {
  const engine = pick(engineFile, ['DOCKER_HOST', 'DOCKER_CONFIG', 'ENGINE_PATH_PREFIX'])
  const builder = builderFile
    ? pick(builderFile, ['BUILDX_BUILDER', 'DOCKER_CONFIG', 'ENGINE_PATH_PREFIX'])
    : {}
  const { ENGINE_PATH_PREFIX: prefix, ...vars } = { ...engine, ...builder }
  return { ...vars, PATH: `${prefix ?? ''}:${process.env.PATH ?? '/usr/bin:/bin'}` }
}

/** The stack named, or the one MULTIARCH_STACK selects (default d26, the primary engine). */
export function engineStack(name = process.env.MULTIARCH_STACK || 'd26'): EngineStack {
  const path = process.env.PATH ?? '/usr/bin:/bin'
  switch (name) {
    case 'd26':
      return {
        name,
        description: 'Docker 26 (primary engine), containerd image store, docker driver',
        engineMajor: 26,
        imageStore: 'containerd',
        driver: 'docker',
        env: { PATH: path },
        inputs: {},
      }
    case 'd28c':
      return {
        name,
        description: 'Docker 28 engine d28c, containerd image store, docker driver',
        engineMajor: 28,
        imageStore: 'containerd',
        driver: 'docker',
        env: fromEnvFiles('engine-d28c.env'),
        inputs: {},
      }
    case 'd28':
      return {
        name,
        description: 'Docker 28 engine d28, classic image store, docker driver',
        engineMajor: 28,
        imageStore: 'classic',
        driver: 'docker',
        env: fromEnvFiles('engine-d28.env'),
        inputs: {},
      }
    case 'd28-classic-container':
      // As docker/setup-buildx-action leaves it: the builder is the current one, no input.
      return {
        name,
        description:
          'Docker 28 engine d28, classic image store, docker-container builder mar-container (BuildKit v0.25.2) as the current builder',
        engineMajor: 28,
        imageStore: 'classic',
        driver: 'docker-container',
        env: fromEnvFiles('engine-d28.env', 'builder-mar-container.env'),
        inputs: {},
      }
    case 'remote':
      // A remote BuildKit named by the builder input; loads and smoke tests on a runner's
      // Docker 28 with the classic store.
      return {
        name,
        description:
          'remote BuildKit builder mar-remote (BuildKit v0.25.2, builder input), engine d28 (Docker 28, classic image store)',
        engineMajor: 28,
        imageStore: 'classic',
        driver: 'remote',
        env: fromEnvFiles('engine-d28.env', 'builder-mar-remote.env'),
        inputs: { builder: 'mar-remote' },
      }
    case 'fleet':
      return {
        name,
        description:
          'builder fleet mar-fleet (one BuildKit v0.25.2 node per platform, builder input), engine d28c (Docker 28, containerd image store)',
        engineMajor: 28,
        imageStore: 'containerd',
        driver: 'remote',
        env: fromEnvFiles('engine-d28c.env', 'builder-mar-fleet.env'),
        inputs: { builder: 'mar-fleet' },
      }
    default:
      throw new Error(
        `MULTIARCH_STACK=${name} is not a stack; use one of ${STACK_NAMES.join(', ')} (docs/stacks.md)`,
      )
  }
}

/** The stack of this run (MULTIARCH_STACK). */
export const STACK: EngineStack = engineStack()

/** The environment for a docker call of a test: this process's, the stack's, then `extra`. */
export function dockerEnv(
  extra: Readonly<Record<string, string>> = {},
  stack: EngineStack = STACK,
): NodeJS.ProcessEnv {
  return { ...process.env, ...stack.env, ...extra }
}

/** Runs docker on the stack (stdout as text); `env` adds to the stack's environment. */
export function docker(
  args: readonly string[],
  options: Omit<ExecFileSyncOptions, 'env'> & {
    env?: Readonly<Record<string, string>>
    stack?: EngineStack
  } = {},
): string {
  const { env, stack, ...rest } = options
  return execFileSync('docker', args, {
    stdio: 'pipe',
    ...rest,
    encoding: 'utf8',
    env: dockerEnv(env, stack),
  })
}

/** The path of the docker CLI the stack runs (what a shim in front of it hands over to). */
export function dockerPath(stack: EngineStack = STACK): string {
  return execFileSync('sh', ['-c', 'command -v docker'], {
    encoding: 'utf8',
    env: dockerEnv({}, stack),
  }).trim()
}

/**
 * An empty Docker config of a test's own (no login of the machine leaks in), holding the
 * stack's buildx plugin as the stack's own config does.
 */
export function freshDockerConfig(stack: EngineStack = STACK): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
  const plugin = stack.env.DOCKER_CONFIG
    ? join(stack.env.DOCKER_CONFIG, 'cli-plugins', 'docker-buildx')
    : undefined
  if (plugin && existsSync(plugin)) {
    mkdirSync(join(dir, 'cli-plugins'))
    symlinkSync(plugin, join(dir, 'cli-plugins', 'docker-buildx'))
  }
  return dir
}

/** A build in BuildKit's history (`buildctl debug histories`), as far as tests read it. */
interface BuildRecord {
  readonly CreatedAt?: { seconds?: number }
  readonly FrontendAttrs?: Record<string, string>
  readonly Exporters?: { Attrs?: Record<string, string> }[]
}

/**
 * Which node of the fleet built which platform of an image (the last build each node's BuildKit
 * recorded that exported to `image`), read from the daemons' build history: node -> platform.
 */
export function fleetBuilds(image: string): Record<string, string> {
  const env = readEnvFile(join(CONF_DIR, 'builder-mar-fleet.env'))
  const buildctl = env.get('BUILDCTL')
  if (!buildctl) throw new Error(`${CONF_DIR}/builder-mar-fleet.env has no BUILDCTL: ${SETUP}`)
  const built: Record<string, string> = {}
  for (const [node, key] of [
    ['fleet-amd64', 'BUILDKIT_HOST_AMD64'],
    ['fleet-arm64', 'BUILDKIT_HOST_ARM64'],
  ] as const) {
    const out = execFileSync(
      buildctl,
      ['--addr', env.get(key) ?? '', 'debug', 'histories', '--format', '{{json .}}'],
      { encoding: 'utf8', stdio: 'pipe', timeout: 30_000 },
    )
    const records = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { record: BuildRecord }).record)
      .filter((r) => (r.Exporters ?? []).some((e) => e.Attrs?.name === image))
      .sort((a, b) => (a.CreatedAt?.seconds ?? 0) - (b.CreatedAt?.seconds ?? 0))
    const platform = records.at(-1)?.FrontendAttrs?.platform
    if (platform) built[node] = platform
  }
  return built
}
