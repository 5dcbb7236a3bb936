import { writeFile } from 'node:fs/promises'
import type { BuildSpec } from '../../src/build/buildx-args.js'
import { formatPlatform, type Platform } from '../../src/model/platform.js'
import type {
  BuildOptions,
  BuildResult,
  ContainerEngine,
  ContainerRun,
  ContainerState,
  EngineInfo,
  EngineOutcome,
  PublishedPort,
} from '../../src/ports/engine.js'
import type { ImageConfig } from '../../src/model/oci.js'
import type { LabelledContainer } from '../../src/model/container-owner.js'
import { systemClock, type Clock } from '../../src/smoke/clock.js'
import type { ContainerSpec } from '../../src/smoke/docker-run-args.js'

/** How a smoke command ends: with an exit code and output, or never by itself. */
export type CommandScript =
  { readonly exitCode: number; readonly stdout?: string; readonly stderr?: string } | 'never-exits'

/** How a detached (probed) container behaves. */
export interface ServerScript {
  /** What the engine says when the container cannot start. */
  readonly startError?: string
  /** Where its port is published; undefined: the engine names no host port. */
  readonly hostPort?: number
  readonly portError?: string
  /** It stops by itself this long (virtual time) after it started. */
  readonly exitsAfterMs?: number
  readonly exitCode?: number
  readonly log?: string
}

interface FakeContainer {
  readonly spec: ContainerSpec
  readonly startedAt: number
  readonly server?: ServerScript
}

export const CAPABLE_ENGINE: EngineInfo = {
  serverVersion: '26.1.5',
  buildxVersion: '0.13.1',
  builder: {
    name: 'default',
    driver: 'docker',
    platforms: ['linux/amd64', 'linux/arm64'],
    nodes: 1,
  },
  containerdStore: true,
}

export const EMPTY_CONFIG: ImageConfig = {
  os: 'linux',
  architecture: 'amd64',
  entrypoint: [],
  cmd: [],
  env: [],
  raw: {},
}

/** Lets other work (a worker of a bounded pool) start before an engine call ends. */
const aTurnLater = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * A scripted in-memory container engine: it keeps the containers it was asked to start, until
 * they exit (`run` removes its own, as `--rm` does) or are removed, and records every call.
 */
export class FakeEngine implements ContainerEngine {
  /** Every call, in order, such as "pull r/app@sha256:… linux/arm64" or "remove mar-…". */
  readonly calls: string[] = []
  /** The containers that exist now, by name. */
  readonly containers = new Map<string, FakeContainer>()
  readonly removed: string[] = []
  readonly removedImages: string[] = []
  readonly builds: { plan: BuildSpec; options: BuildOptions | undefined }[] = []
  readonly loggedIn = new Set<string>()
  /** The most pulls that were under way at once. */
  maxConcurrentPulls = 0
  private pulling = 0

  engineInfo: EngineInfo = CAPABLE_ENGINE
  pullError: ((ref: string, platform: Platform) => string | undefined) | undefined
  /** How long (on the engine's clock) each pull takes. */
  pullMs = 0
  command: (words: readonly string[], spec: ContainerSpec) => CommandScript = () => ({
    exitCode: 0,
  })
  server: ServerScript = {}
  /** The files of every image, by path, for readImageFile. */
  readonly files = new Map<string, Buffer>()
  readonly localConfigs = new Map<string, ImageConfig>()
  /** The results of the next builds, in order; then every build succeeds. */
  readonly buildResults: (BuildResult | ((plan: BuildSpec) => BuildResult))[] = []
  buildDigest = `sha256:${'d'.repeat(64)}`
  loginError: string | undefined
  /** The containers other runs left, with the action's labels. */
  readonly labelled: LabelledContainer[] = []
  /** The job's cancellation, as the action's engine is given it. */
  cancellation: AbortSignal | undefined

  constructor(private readonly clock: Clock = systemClock) {}

  info(): Promise<EngineInfo> {
    this.calls.push('info')
    return Promise.resolve(this.engineInfo)
  }

  async pull(ref: string, platform: Platform): Promise<EngineOutcome> {
    this.calls.push(`pull ${ref} ${formatPlatform(platform)}`)
    this.pulling++
    this.maxConcurrentPulls = Math.max(this.maxConcurrentPulls, this.pulling)
    await aTurnLater()
    if (this.pullMs > 0) await this.clock.sleep(this.pullMs)
    this.pulling--
    const error = this.pullError?.(ref, platform)
    return error === undefined ? { ok: true } : { ok: false, error }
  }

  async run(
    spec: ContainerSpec,
    command: readonly string[],
    stop?: AbortSignal,
  ): Promise<ContainerRun> {
    this.calls.push(`run ${spec.name} ${command.join(' ')}`)
    this.containers.set(spec.name, { spec, startedAt: this.clock.now() })
    const script = this.command(command, spec)
    if (script === 'never-exits') {
      // Only a stop ends it: the port's contract is that the stop removes the container.
      await new Promise<void>((resolve) => {
        if (stop?.aborted) resolve()
        stop?.addEventListener('abort', () => {
          resolve()
        })
      })
      await this.remove(spec.name)
      return { exitCode: 137, stdout: '', stderr: '', stopped: true }
    }
    await aTurnLater()
    this.containers.delete(spec.name)
    return { stdout: '', stderr: '', ...script, stopped: false }
  }

  async startDetached(spec: ContainerSpec, port: number): Promise<EngineOutcome> {
    this.calls.push(`start ${spec.name} ${port}`)
    await aTurnLater()
    if (this.server.startError !== undefined) return { ok: false, error: this.server.startError }
    this.containers.set(spec.name, { spec, startedAt: this.clock.now(), server: this.server })
    return { ok: true }
  }

  state(name: string): Promise<ContainerState> {
    this.calls.push(`state ${name}`)
    const container = this.containers.get(name)
    if (container === undefined) return Promise.resolve({ status: 'unknown' })
    return Promise.resolve(
      this.hasExited(container)
        ? { status: 'exited', exitCode: container.server?.exitCode }
        : { status: 'running' },
    )
  }

  logs(name: string, lines: number): Promise<string> {
    this.calls.push(`logs ${name} ${lines}`)
    return Promise.resolve(this.containers.get(name)?.server?.log ?? '')
  }

  publishedPort(name: string, port: number): Promise<PublishedPort> {
    this.calls.push(`port ${name} ${port}`)
    const container = this.containers.get(name)
    const hostPort = container?.server?.hostPort
    if (container === undefined || hostPort === undefined || this.hasExited(container)) {
      return Promise.resolve({
        hostPort: undefined,
        error:
          container?.server?.portError ??
          `Error: No public port '${port}/tcp' published for ${name}`,
      })
    }
    return Promise.resolve({ hostPort })
  }

  removeLater(name: string): void {
    void this.remove(name)
  }

  removalsSettled(): Promise<void> {
    return Promise.resolve()
  }

  remove(name: string): Promise<void> {
    this.calls.push(`remove ${name}`)
    const labelled = this.labelled.findIndex((c) => c.name === name || c.id === name)
    if (labelled >= 0) this.labelled.splice(labelled, 1)
    if (this.containers.delete(name) || labelled >= 0) this.removed.push(name)
    return Promise.resolve()
  }

  saveImage(tag: string, layout: string): Promise<EngineOutcome> {
    this.calls.push(`saveImage ${tag} ${layout}`)
    return Promise.resolve({ ok: true })
  }

  /** Images loaded into the engine, by tag (a build-only run's smoke images). */
  readonly images = new Set<string>()

  imagesMatching(reference: string): Promise<string[]> {
    this.calls.push(`imagesMatching ${reference}`)
    const pattern = new RegExp(
      `^${reference.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
    )
    return Promise.resolve([...this.images].filter((tag) => pattern.test(tag)))
  }

  labelledContainers(): Promise<LabelledContainer[]> {
    this.calls.push('labelledContainers')
    return Promise.resolve([...this.labelled])
  }

  removeImage(tag: string): Promise<void> {
    this.calls.push(`removeImage ${tag}`)
    this.images.delete(tag)
    this.removedImages.push(tag)
    return Promise.resolve()
  }

  login(registry: string, username: string): Promise<EngineOutcome> {
    this.calls.push(`login ${registry} ${username}`)
    if (this.loginError !== undefined) return Promise.resolve({ ok: false, error: this.loginError })
    this.loggedIn.add(registry)
    return Promise.resolve({ ok: true })
  }

  logout(registry: string): Promise<void> {
    this.calls.push(`logout ${registry}`)
    this.loggedIn.delete(registry)
    return Promise.resolve()
  }

  /** Writes the digest to the metadata file of a successful push, as buildx does. */
  async build(plan: BuildSpec, options?: BuildOptions): Promise<BuildResult> {
    this.calls.push(`build ${plan.platforms.map(formatPlatform).join(',')} ${plan.output.kind}`)
    this.builds.push({ plan, options })
    const next = this.buildResults.shift() ?? { exitCode: 0, stderr: '' }
    const result = typeof next === 'function' ? next(plan) : next
    if (result.exitCode === 0 && plan.output.kind.startsWith('push')) {
      await writeFile(
        plan.metadataFile,
        JSON.stringify({ 'containerimage.digest': this.buildDigest }),
      )
    }
    return result
  }

  localImageConfig(ref: string): Promise<ImageConfig> {
    this.calls.push(`localImageConfig ${ref}`)
    return Promise.resolve(this.localConfigs.get(ref) ?? EMPTY_CONFIG)
  }

  readImageFile(_ref: string, platform: string, path: string): Promise<Buffer | undefined> {
    this.calls.push(`readImageFile ${platform} ${path}`)
    return Promise.resolve(this.files.get(path))
  }

  private hasExited(container: FakeContainer): boolean {
    const after = container.server?.exitsAfterMs
    return after !== undefined && this.clock.now() - container.startedAt >= after
  }
}
