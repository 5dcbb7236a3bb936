// The engine's API socket, for the questions whose answer is one small JSON document: the
// docker CLI takes a process for each (50 to 130 ms on Docker 28, bench/README.md), the socket
// a few milliseconds. Anything unusual (a remote engine, a context, no answer) goes to the CLI.
import { request, type IncomingHttpHeaders } from 'node:http'
import { posix } from 'node:path'
import { parseContainerState, parseEngineInfo, type ContainerState } from './engine-output.js'
import { dockerConfigNow } from './registry/docker-config.js'
import { firstFileInTar } from './layer-files.js'

const DEFAULT_SOCKET = '/var/run/docker.sock'
const TIMEOUT_MS = 5_000

/** The context the config file chooses, if any. */
function configContext(env: NodeJS.ProcessEnv): string | undefined {
  const context = dockerConfigNow(env)?.currentContext
  return typeof context === 'string' && context !== '' ? context : undefined
}

/**
 * The engine's unix socket when the docker CLI would use it: DOCKER_HOST's unix:// path, else
 * the default socket when no context other than `default` is chosen; otherwise undefined.
 */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST
  if (host) return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined
  const context = env.DOCKER_CONTEXT || configContext(env)
  return context === undefined || context === 'default' ? DEFAULT_SOCKET : undefined
}

/** The engine's facts preflight needs, as `docker info` reports them. */
export type EngineFacts = NonNullable<ReturnType<typeof parseEngineInfo>>

/** A container's state and the host ports its ports are published on. */
export interface ContainerFacts {
  readonly state: ContainerState
  /** `8080/tcp` → the host ports, in the engine's order. */
  readonly ports: Readonly<Record<string, readonly number[]>>
}

/** An answer of the engine: its status, headers and body. */
export interface EngineAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** Requests on the engine's socket, for what the docker CLI would ask it. */
export class EngineApi {
  constructor(
    private readonly socket: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  /** One request; undefined when the socket does not answer (no engine, a timeout). */
  send(method: string, path: string, body?: object): Promise<EngineAnswer | undefined> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve) => {
      const req = request(
        {
          socketPath: this.socket,
          // A connection per request: connecting to a local socket costs nothing, and no
          // request waits on a kept-alive connection the engine has given up.
          agent: false,
          path,
          method,
          timeout: this.timeoutMs,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', () => {
            resolve(undefined)
          })
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            })
          })
        },
      )
      req.on('timeout', () => req.destroy())
      req.on('error', () => {
        resolve(undefined)
      })
      req.end(payload)
    })
  }

  /** A GET's JSON; undefined whenever the answer is not a 200 with JSON. */
  async get(path: string): Promise<unknown> {
    const answer = await this.send('GET', path)
    if (answer?.status !== 200) return undefined
    try {
      return JSON.parse(answer.body.toString('utf8')) as unknown
    } catch {
      return undefined
    }
  }

  async engine(): Promise<EngineFacts | undefined> {
    const info = (await this.get('/info')) as
      { ServerVersion?: unknown; DriverStatus?: unknown } | undefined
    if (typeof info?.ServerVersion !== 'string' || info.ServerVersion === '') return undefined
    return {
      version: info.ServerVersion,
      containerdStore: JSON.stringify(info.DriverStatus ?? []).includes(
        'io.containerd.snapshotter',
      ),
    }
  }

  async container(name: string): Promise<ContainerFacts | undefined> {
    const found = (await this.get(`/containers/${encodeURIComponent(name)}/json`)) as
      | {
          State?: { Running?: unknown; ExitCode?: unknown }
          NetworkSettings?: { Ports?: Record<string, { HostPort?: unknown }[] | null> | null }
        }
      | undefined
    if (found?.State === undefined) return undefined
    // Read as `docker inspect --format '{{.State.Running}} {{.State.ExitCode}}'` is.
    const state = parseContainerState(
      `${String(found.State.Running)} ${String(found.State.ExitCode)}`,
    )
    const ports = Object.fromEntries(
      Object.entries(found.NetworkSettings?.Ports ?? {}).map(([port, bindings]) => [
        port,
        (bindings ?? []).map((b) => Number(b.HostPort)).filter((p) => Number.isInteger(p) && p > 0),
      ]),
    )
    return { state, ports }
  }

  /**
   * A file of a local image, symlinks followed, as `docker create` and `docker cp -L` read it,
   * from a container created (not started) for it: the caller removes `container`.
   */
  async imageFile(
    ref: string,
    platform: string,
    path: string,
    labels: Readonly<Record<string, string>>,
  ): Promise<ImageFileRead> {
    const created = await this.send(
      'POST',
      `/containers/create?platform=${encodeURIComponent(platform)}`,
      { Image: ref, Labels: labels },
    )
    if (created?.status !== 201) return { kind: 'unanswered' }
    const container = (JSON.parse(created.body.toString('utf8')) as { Id?: string }).Id
    if (container === undefined) return { kind: 'unanswered' }
    const archive = (p: string): string =>
      `/containers/${container}/archive?path=${encodeURIComponent(p)}`
    const stat = await this.send('HEAD', archive(path))
    if (stat?.status === 404) return { kind: 'read', file: undefined, container }
    const header = stat?.headers['x-docker-container-path-stat']
    if (stat?.status !== 200 || typeof header !== 'string') return { kind: 'unanswered', container }
    const { mode, linkTarget } = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
      mode?: number
      linkTarget?: string
    }
    const target =
      mode !== undefined && (mode & MODE_SYMLINK) !== 0 && linkTarget
        ? posix.resolve(posix.dirname(path), linkTarget)
        : path
    const tar = await this.send('GET', archive(target))
    if (tar?.status === 404) return { kind: 'read', file: undefined, container }
    if (tar?.status !== 200) return { kind: 'unanswered', container }
    return { kind: 'read', file: firstFileInTar(tar.body), container }
  }

  /** Removes a container, running or not: the engine's status (204 done, 404 gone, 409 busy). */
  async remove(name: string): Promise<EngineAnswer | undefined> {
    return this.send('DELETE', `/containers/${encodeURIComponent(name)}?force=1`)
  }

  /**
   * `docker run --detach --pull never --publish 127.0.0.1::PORT`: a container created and
   * started; undefined when the socket does not answer (the CLI is asked then). The error is
   * the engine's message, as the CLI prints it.
   */
  async startDetached(
    container: DetachedContainer,
  ): Promise<{ ok: true } | { ok: false; error: string } | undefined> {
    const query = `name=${encodeURIComponent(container.name)}&platform=${encodeURIComponent(container.platform)}`
    const port = `${container.port}/tcp`
    const created = await this.send('POST', `/containers/create?${query}`, {
      Image: container.ref,
      Env: container.env,
      Labels: container.labels,
      ExposedPorts: { [port]: {} },
      HostConfig: { PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    })
    if (created === undefined) return undefined
    if (created.status !== 201) return { ok: false, error: daemonError(created) }
    const started = await this.send(
      'POST',
      `/containers/${encodeURIComponent(container.name)}/start`,
    )
    if (started === undefined) return { ok: false, error: 'the engine did not answer the start' }
    return started.status === 204 || started.status === 304
      ? { ok: true }
      : { ok: false, error: daemonError(started) }
  }

  /** `docker ps --all --filter label=LABEL`: each container's id, name and labels. */
  async containersLabelled(
    label: string,
  ): Promise<{ id: string; name: string; labels: Record<string, string> }[] | undefined> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }))
    const found = await this.get(`/containers/json?all=1&filters=${filters}`)
    if (!Array.isArray(found)) return undefined
    return (found as { Id?: unknown; Names?: unknown; Labels?: unknown }[]).flatMap((c) => {
      if (typeof c.Id !== 'string') return []
      const names = Array.isArray(c.Names) ? (c.Names as unknown[]) : []
      const name = typeof names[0] === 'string' ? names[0].replace(/^\//, '') : ''
      const labels =
        c.Labels !== null && typeof c.Labels === 'object'
          ? Object.fromEntries(
              Object.entries(c.Labels).filter(
                (e): e is [string, string] => typeof e[1] === 'string',
              ),
            )
          : {}
      return [{ id: c.Id, name, labels }]
    })
  }
}

/** What `docker run --detach` is given for a smoke probe. */
export interface DetachedContainer {
  readonly ref: string
  readonly name: string
  readonly platform: string
  /** `KEY=value` */
  readonly env: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  /** The container's port, published on 127.0.0.1 on a port the engine picks. */
  readonly port: number
}

/** The engine's error message, as the docker CLI prints it. */
function daemonError(answer: EngineAnswer): string {
  let message = answer.body.toString('utf8').trim()
  try {
    const parsed = JSON.parse(message) as { message?: unknown }
    if (typeof parsed.message === 'string') message = parsed.message
  } catch {
    // not JSON: the body as it is
  }
  return `Error response from daemon: ${message || `status ${answer.status}`}`
}

/** Go's os.ModeSymlink in the mode of a path's stat (X-Docker-Container-Path-Stat). */
const MODE_SYMLINK = 0x8000000

/** What reading a file of an image through the socket gave. */
export type ImageFileRead =
  | { readonly kind: 'read'; readonly file: Buffer | undefined; readonly container: string }
  | { readonly kind: 'unanswered'; readonly container?: string }

/** The engine's API when its socket is known, else undefined (the docker CLI is asked). */
export function engineApi(env: NodeJS.ProcessEnv = process.env): EngineApi | undefined {
  const socket = engineSocket(env)
  return socket === undefined ? undefined : new EngineApi(socket)
}

/** The engine options with the API, when there is one: `new DockerEngine(docker, engineApiOption())`. */
export function engineApiOption(env: NodeJS.ProcessEnv = process.env): { api?: EngineApi } {
  const api = engineApi(env)
  return api ? { api } : {}
}
