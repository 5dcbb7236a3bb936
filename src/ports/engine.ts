import { setTimeout as wait } from 'node:timers/promises'
import { type ContainerState, parseContainerState, parsePublishedPort } from './engine-output.js'
import { StepFailure } from '../model/errors.js'
import { tail, type CommandResult, type Program } from './process.js'
import { dockerCli } from './docker-cli.js'
import type { EngineApi } from './engine-api.js'
import { askEngine } from './engine-info.js'
import { imageConfigOf, type ImageConfig } from '../model/oci.js'
import { firstFileInTar, unpackLayout } from './layer-files.js'
import { rm } from 'node:fs/promises'
import { formatPlatform, type Platform } from '../model/platform.js'
import { buildxBuildArgs, type BuildSpec } from '../build/buildx-args.js'
import {
  labelArgs,
  probeContainerArgs,
  smokeCommandArgs,
  type ContainerSpec,
} from '../smoke/docker-run-args.js'
import {
  OWNER_LABELS,
  labelledContainer,
  ownerLabels,
  type ContainerOwner,
  type LabelledContainer,
} from '../model/container-owner.js'

import type {
  BuildOptions,
  BuildResult,
  ContainerEngine,
  ContainerRun,
  EngineInfo,
  EngineOutcome,
  PublishedPort,
} from './container-engine.js'

export type * from './container-engine.js'

const outcome = (result: CommandResult): EngineOutcome =>
  result.exitCode === 0 ? { ok: true } : { ok: false, error: result.stderr }

/** Resolves when the signal aborts (at once if it has); `cancel` forgets it. */
function whenAborted(signal: AbortSignal): { aborted: Promise<'stopped'>; cancel: () => void } {
  let cancel = (): void => undefined
  const aborted = new Promise<'stopped'>((resolve) => {
    const onAbort = (): void => {
      resolve('stopped')
    }
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    cancel = () => {
      signal.removeEventListener('abort', onAbort)
    }
  })
  return { aborted, cancel }
}

/** A container made only to copy a file out of an image is needed for this long at most. */
const COPY_CONTAINER_MS = 10 * 60_000

/** Whether a promise settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    wait(ms).then(() => false),
  ])

export interface EngineOptions {
  /** The run the containers are labelled with (none: unlabelled, as in the CLI's plan). */
  readonly owner?: ContainerOwner
  /** The job's cancellation: no container starts after it, and waits on containers end. */
  readonly cancellation?: AbortSignal
  /**
   * The engine's socket, for what needs no process: its facts, the probe's start, a container's
   * state and ports, reads of an image's file, removals, the run's containers (else the CLI).
   */
  readonly api?: EngineApi
}

export type { BuilderInfo, ContainerState } from './engine-output.js'
export {
  parseBuilderInspect,
  parseBuildxVersion,
  parseContainerState,
  parseEngineInfo,
  parsePublishedPort,
} from './engine-output.js'

const REMOVAL_IN_PROGRESS = /removal of container \S+ is already in progress/i
const REMOVAL_ATTEMPTS = 10
const REMOVAL_RETRY_MS = 500

/**
 * The engine through the docker CLI (every argument list is built here or by a pure builder), and
 * through its socket where `options.api` is given.
 */
export class DockerEngine implements ContainerEngine {
  readonly cancellation: AbortSignal | undefined
  /** The removals removeLater started and removalsSettled waits for. */
  private readonly removals = new Set<Promise<void>>()

  constructor(
    private readonly docker: Program = dockerCli(),
    private readonly options: EngineOptions = {},
  ) {
    this.cancellation = options.cancellation
  }

  /** A pull or a build, which can take minutes, ends at the job's cancellation. */
  private interruptible(): { signal: AbortSignal } | undefined {
    return this.cancellation ? { signal: this.cancellation } : undefined
  }

  /** The labels of a container needed until `expires`: none without an owner. */
  private labels(expires = Date.now() + COPY_CONTAINER_MS): Record<string, string> {
    return this.options.owner ? ownerLabels(this.options.owner, expires) : {}
  }

  async labelledContainers(): Promise<LabelledContainer[]> {
    const listed = await this.options.api?.containersLabelled(OWNER_LABELS.run)
    if (listed)
      return listed.flatMap(({ id, name, labels }) => {
        const container = labelledContainer(id, name, labels)
        return container ? [container] : []
      })
    const columns = [
      '{{.ID}}',
      '{{.Names}}',
      ...Object.values(OWNER_LABELS).map((label) => `{{.Label "${label}"}}`),
    ]
    const result = await this.docker.run([
      'ps',
      '--all',
      '--no-trunc',
      '--filter',
      `label=${OWNER_LABELS.run}`,
      '--format',
      columns.join('\t'),
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(`listing the action's containers failed: ${tail(result.stderr, 3)}`)
    }
    return result.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        const [id = '', name = '', ...values] = line.split('\t')
        const labels = Object.fromEntries(
          Object.values(OWNER_LABELS).map((label, i) => [label, values[i]]),
        )
        const container = labelledContainer(id, name, labels)
        return container ? [container] : []
      })
  }

  async pull(ref: string, platform: Platform): Promise<EngineOutcome> {
    return outcome(
      await this.docker.run(
        ['pull', '--quiet', '--platform', formatPlatform(platform), ref],
        this.interruptible(),
      ),
    )
  }

  async run(
    spec: ContainerSpec,
    command: readonly string[],
    stop?: AbortSignal,
  ): Promise<ContainerRun> {
    if (this.cancellation?.aborted) {
      return { exitCode: 130, stdout: '', stderr: 'the job was cancelled', stopped: true }
    }
    const running = this.docker.run(smokeCommandArgs(spec, command, this.labels(spec.expires)))
    const stops = [stop, this.cancellation].filter((s) => s !== undefined)
    if (stops.length === 0) {
      const ran = await running
      this.removeLater(spec.name)
      return { ...ran, stopped: false }
    }
    const { aborted, cancel } = whenAborted(AbortSignal.any(stops))
    const first = await Promise.race([running, aborted])
    cancel()
    if (first !== 'stopped') {
      // It exited: what it said is known, and removing it need not hold up the next step.
      this.removeLater(spec.name)
      return { ...first, stopped: false }
    }
    // Removing the container ends the `docker run` that waits for it; again until it has, as
    // the stop may come before the engine has made the container.
    do await this.remove(spec.name)
    while (!(await settlesWithin(running, 500)))
    return { ...(await running), stopped: true }
  }

  async startDetached(spec: ContainerSpec, port: number): Promise<EngineOutcome> {
    if (this.cancellation?.aborted) return { ok: false, error: 'the job was cancelled' }
    const labels = this.labels(spec.expires)
    const started = await this.options.api?.startDetached({
      ref: spec.ref,
      name: spec.name,
      platform: formatPlatform(spec.platform),
      env: spec.env.map(({ key, value }) => `${key}=${value}`),
      labels,
      port,
    })
    return started ?? outcome(await this.docker.run(probeContainerArgs(spec, port, labels)))
  }

  async state(name: string): Promise<ContainerState> {
    const known = await this.options.api?.container(name)
    if (known) return known.state
    const result = await this.docker.run([
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.ExitCode}}',
      name,
    ])
    return parseContainerState(result.stdout)
  }

  async logs(name: string, lines: number): Promise<string> {
    const result = await this.docker.run(['logs', '--tail', String(lines), name])
    return `${result.stdout}\n${result.stderr}`
  }

  async publishedPort(name: string, port: number): Promise<PublishedPort> {
    const hostPort = (await this.options.api?.container(name))?.ports[`${port}/tcp`]?.[0]
    if (hostPort !== undefined) return { hostPort }
    const result = await this.docker.run(['port', name, `${port}/tcp`])
    const parsed = parsePublishedPort(result.stdout)
    return parsed === undefined ? { hostPort: parsed, error: result.stderr } : { hostPort: parsed }
  }

  async remove(name: string): Promise<void> {
    // A removal whose client died half-way (a killed run) can leave the container "Removal In
    // Progress" until another removal comes: the engine refuses that one while the first is
    // still under way, so it is asked again for a few seconds.
    for (let attempt = 1; ; attempt++) {
      const result = await this.removeOnce(name)
      if (result.exitCode === 0 || !REMOVAL_IN_PROGRESS.test(result.stderr)) return
      if (attempt === REMOVAL_ATTEMPTS) return
      await wait(REMOVAL_RETRY_MS)
    }
  }

  /** One removal, through the socket (as `docker rm --force` would ask it) or the CLI. */
  private async removeOnce(name: string): Promise<CommandResult> {
    const answer = await this.options.api?.remove(name)
    if (answer === undefined) return this.docker.run(['rm', '--force', name])
    const done = answer.status === 204 || answer.status === 404
    return { exitCode: done ? 0 : 1, stdout: '', stderr: done ? '' : answer.body.toString('utf8') }
  }

  removeLater(name: string): void {
    const removal: Promise<void> = this.remove(name)
      .catch(() => undefined)
      .finally(() => this.removals.delete(removal))
    this.removals.add(removal)
  }

  async removalsSettled(): Promise<void> {
    while (this.removals.size > 0) await Promise.all([...this.removals])
  }

  /** The images whose reference matches a pattern (`repo:prefix-*`), by id; none on failure. */
  async imagesMatching(reference: string): Promise<string[]> {
    const result = await this.docker.run([
      'image',
      'ls',
      '--quiet',
      '--filter',
      `reference=${reference}`,
    ])
    if (result.exitCode !== 0) return []
    return [...new Set(result.stdout.split('\n').filter((id) => id.trim() !== ''))]
  }

  async removeImage(tag: string): Promise<void> {
    await this.docker.run(['image', 'rm', '--force', tag])
  }

  async login(registry: string, username: string, password: string): Promise<EngineOutcome> {
    return outcome(
      await this.docker.run(['login', registry, '--username', username, '--password-stdin'], {
        input: password,
      }),
    )
  }

  async logout(registry: string): Promise<void> {
    await this.docker.run(['logout', registry])
  }

  async build(spec: BuildSpec, options: BuildOptions = {}): Promise<BuildResult> {
    // Secret values reach buildx through its environment only, never its argv or a file.
    const env = {
      ...spec.environment,
      ...(options.sourceDateEpoch !== undefined
        ? { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) }
        : {}),
    }
    const { exitCode, stderr } = await this.docker.run(buildxBuildArgs(spec), {
      ...this.interruptible(),
      stream: options.stream ?? false,
      ...(Object.keys(env).length > 0 ? { env } : {}),
    })
    return { exitCode, stderr }
  }

  info(builder?: string): Promise<EngineInfo> {
    return askEngine(this.docker, this.options.api, builder)
  }

  async localImageConfig(ref: string): Promise<ImageConfig> {
    const result = await this.docker.run(['image', 'inspect', '--format', '{{json .}}', ref])
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

  async saveImage(tag: string, layout: string): Promise<EngineOutcome> {
    const tarFile = `${layout}.tar`
    const saved = outcome(await this.docker.run(['save', '--output', tarFile, tag]))
    if (!saved.ok) return saved
    try {
      await unpackLayout(tarFile, layout)
    } finally {
      await rm(tarFile, { force: true })
    }
    return saved
  }

  async readImageFile(ref: string, platform: string, path: string): Promise<Buffer | undefined> {
    if (this.cancellation?.aborted) {
      throw new StepFailure(`the job was cancelled before ${path} was read from ${ref}`)
    }
    const read = await this.options.api?.imageFile(ref, platform, path, this.labels())
    if (read?.container !== undefined) this.removeLater(read.container)
    if (read?.kind === 'read') return read.file
    const created = await this.docker.run([
      'create',
      '--pull',
      'never',
      '--platform',
      platform,
      ...labelArgs(this.labels()),
      ref,
    ])
    if (created.exitCode !== 0) {
      throw new StepFailure(
        `creating a container of ${ref} for ${platform} failed: ${tail(created.stderr, 3)}`,
      )
    }
    const id = created.stdout.trim()
    try {
      // -L follows symlinks such as /usr/bin/app -> /opt/app/bin/app.
      const copied = await this.docker.runBinary(['cp', '-L', `${id}:${path}`, '-'])
      return copied.exitCode === 0 ? firstFileInTar(copied.stdout) : undefined
    } finally {
      this.removeLater(id)
    }
  }
}
