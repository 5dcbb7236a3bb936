// Parsers of the docker CLI's answers, tested against its real output.
export interface BuilderInfo {
  readonly name: string
  readonly driver: string
  /** What its nodes build, together. */
  readonly platforms: readonly string[]
  /** How many nodes (BuildKit daemons) it has: more than one is a fleet. */
  readonly nodes: number
}

/** A container's state; unknown when the engine cannot tell (such as a removed container). */
export type ContainerState =
  | { readonly status: 'running' }
  | { readonly status: 'exited'; readonly exitCode: number | undefined }
  | { readonly status: 'unknown' }

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

/**
 * Parses `docker buildx inspect` output into the builder's name, driver, the platforms of all
 * its nodes and how many nodes it has (each node's section has an Endpoint line).
 */
export function parseBuilderInspect(text: string): BuilderInfo {
  const field = (name: string): string =>
    new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
  const platforms = [...text.matchAll(/^Platforms:\s*(.*)$/gm)]
    .flatMap((m) => (m[1] ?? '').split(','))
    .map((p) => p.trim().replace(/\*$/, ''))
    .filter((p) => p !== '')
  const nodes = [...text.matchAll(/^Endpoint:/gm)].length
  return {
    name: field('Name'),
    driver: field('Driver'),
    platforms: [...new Set(platforms)],
    nodes: Math.max(nodes, 1),
  }
}

/** Reads `docker inspect --format '{{.State.Running}} {{.State.ExitCode}}'` output. */
export function parseContainerState(text: string): ContainerState {
  const [running, exitCode] = text.trim().split(' ')
  if (running === 'true') return { status: 'running' }
  if (running !== 'false') return { status: 'unknown' }
  const code = Number.parseInt(exitCode ?? '', 10)
  return { status: 'exited', exitCode: Number.isNaN(code) ? undefined : code }
}

/** The host port in `docker port` output such as "127.0.0.1:32768" (the first line that has one). */
export function parsePublishedPort(text: string): number | undefined {
  const port = /:(\d+)\s*$/m.exec(text)?.[1]
  return port === undefined ? undefined : Number(port)
}
