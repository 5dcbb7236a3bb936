import { StepFailure } from '../model/errors.js'
import { runCommand, runCommandBinary, tail, type CommandResult } from './process.js'
import { imageConfigOf, type ImageConfig } from '../model/oci.js'
import { firstFileInTar } from './layer-files.js'

export interface BuilderInfo {
  readonly name: string
  readonly driver: string
  readonly platforms: readonly string[]
}

export interface EngineInfo {
  readonly serverVersion: string
  readonly buildxVersion: string
  readonly builder: BuilderInfo
  /** Whether the engine stores images in containerd (needed for multi-platform with the docker driver). */
  readonly containerdStore: boolean
}

/** The container engine: what it is, builds, and containers for smoke tests. */
export interface ContainerEngine {
  info(builder?: string): Promise<EngineInfo>
  /** Copies one file out of an image for a platform; its bytes, or undefined when absent. */
  readImageFile(ref: string, platform: string, path: string): Promise<Buffer | undefined>
  /** The config of an image in the engine's own store (a build loaded for a smoke test). */
  localImageConfig(ref: string): Promise<ImageConfig>
  /** Runs `docker <args>` with its output in the log; the result is returned, never thrown. */
  docker(
    args: readonly string[],
    options?: { stream?: boolean; env?: Record<string, string>; input?: string },
  ): Promise<CommandResult>
}

/** Parses `docker buildx version` output such as "github.com/docker/buildx 0.13.1+ds1 abc". */
export function parseBuildxVersion(text: string): string | undefined {
  return /\bv?(\d+\.\d+\.\d+)/.exec(text)?.[1]
}

/** The server's version and image store, from `docker info --format '{{json .}}'`. */
export function parseEngineInfo(
  json: string,
): { version: string; containerdStore: boolean } | undefined {
  try {
    const info = JSON.parse(json) as { ServerVersion?: string; DriverStatus?: unknown }
    if (!info.ServerVersion) return undefined
    return {
      version: info.ServerVersion,
      containerdStore: JSON.stringify(info.DriverStatus ?? []).includes(
        'io.containerd.snapshotter',
      ),
    }
  } catch {
    return undefined
  }
}

/** Parses `docker buildx inspect` output into the builder's name, driver and platforms. */
export function parseBuilderInspect(text: string): BuilderInfo {
  const field = (name: string): string =>
    new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
  const platforms = field('Platforms')
    .split(',')
    .map((p) => p.trim().replace(/\*$/, ''))
    .filter((p) => p !== '')
  return { name: field('Name'), driver: field('Driver'), platforms }
}

export class DockerEngine implements ContainerEngine {
  async docker(
    args: readonly string[],
    options: { stream?: boolean; env?: Record<string, string>; input?: string } = {},
  ): Promise<CommandResult> {
    return runCommand('docker', args, {
      stream: options.stream ?? false,
      ...(options.env ? { env: options.env } : {}),
      ...(options.input !== undefined ? { input: options.input } : {}),
    })
  }

  async info(builder?: string): Promise<EngineInfo> {
    // Three independent questions, asked at once: each is a process start.
    const [engine, buildx, inspect] = await Promise.all([
      this.docker(['info', '--format', '{{json .}}']),
      this.docker(['buildx', 'version']),
      this.docker(['buildx', 'inspect', '--bootstrap', ...(builder ? [builder] : [])]),
    ])
    if (engine.exitCode === 127) {
      throw new StepFailure(
        'the docker CLI is not installed',
        'install Docker on the runner (GitHub-hosted Ubuntu runners have it), or run scripts/setup-stack.sh on Debian',
      )
    }
    const server = parseEngineInfo(engine.stdout)
    if (engine.exitCode !== 0 || server === undefined) {
      throw new StepFailure(
        `the Docker engine does not answer: ${tail(engine.stderr, 3)}`,
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

  async localImageConfig(ref: string): Promise<ImageConfig> {
    const result = await this.docker(['image', 'inspect', '--format', '{{json .}}', ref])
    if (result.exitCode !== 0) {
      throw new StepFailure(`inspecting the loaded image ${ref} failed: ${tail(result.stderr, 3)}`)
    }
    return imageConfigOf(
      JSON.parse(result.stdout) as Record<string, unknown>,
      'Config',
      'Os',
      'Architecture',
      'Variant',
    )
  }

  async readImageFile(ref: string, platform: string, path: string): Promise<Buffer | undefined> {
    const created = await this.docker(['create', '--pull', 'never', '--platform', platform, ref])
    if (created.exitCode !== 0) {
      throw new StepFailure(
        `creating a container of ${ref} for ${platform} failed: ${tail(created.stderr, 3)}`,
      )
    }
    const id = created.stdout.trim()
    try {
      // -L follows symlinks such as /usr/bin/app -> /opt/app/bin/app.
      const copied = await runCommandBinary('docker', ['cp', '-L', `${id}:${path}`, '-'])
      return copied.exitCode === 0 ? firstFileInTar(copied.stdout) : undefined
    } finally {
      await this.docker(['rm', '--force', id])
    }
  }
}
