import type { KeyValue } from '../model/inputs.js'
import { formatPlatform, type Platform } from '../model/platform.js'

export interface ContainerSpec {
  readonly ref: string
  readonly platform: Platform
  readonly name: string
  readonly env: readonly KeyValue[]
  /** Milliseconds since the epoch after which the run no longer needs it (its deadline). */
  readonly expires?: number
}

/** Labels as `--label` arguments (which run a container belongs to). */
export const labelArgs = (labels: Readonly<Record<string, string>>): string[] =>
  Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`])

const envArgs = (env: readonly KeyValue[]): string[] =>
  env.flatMap(({ key, value }) => ['--env', `${key}=${value}`])

/** The options every smoke container shares: the platform asked for, never a pull, a known name. */
const runArgs = (
  spec: ContainerSpec,
  mode: readonly string[],
  labels: Readonly<Record<string, string>>,
): string[] => [
  'run',
  ...mode,
  '--pull',
  'never',
  '--platform',
  formatPlatform(spec.platform),
  '--name',
  spec.name,
  ...labelArgs(labels),
]

/**
 * `docker run` for one smoke command: the words go to the image, never through a shell. No
 * `--rm`: with it the CLI waits for the removal too; the engine port removes the container after.
 */
export function smokeCommandArgs(
  spec: ContainerSpec,
  words: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): string[] {
  return [...runArgs(spec, [], labels), ...envArgs(spec.env), spec.ref, ...words]
}

/** `docker run` for the health probe: detached, the port published on loopback only. */
export function probeContainerArgs(
  spec: ContainerSpec,
  port: number,
  labels: Readonly<Record<string, string>> = {},
): string[] {
  return [
    ...runArgs(spec, ['--detach'], labels),
    '--publish',
    `127.0.0.1::${port}`,
    ...envArgs(spec.env),
    spec.ref,
  ]
}
/** A container name unique to this run, platform and check. */
export function containerName(runId: string, platform: Platform, check: string): string {
  const safe = formatPlatform(platform).replace(/\//g, '-')
  return `mar-${runId}-${safe}-${check}-${Math.random().toString(36).slice(2, 8)}`
}
