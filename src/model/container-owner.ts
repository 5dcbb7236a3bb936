/**
 * Every container the action starts carries labels naming its run, so that what a killed run
 * leaves behind can be found: by its own post step, or by a later run once its run is over.
 */
export const OWNER_LABELS = {
  /** `<run id>-<attempt>`: one attempt of one workflow run. */
  run: 'dev.multiarch-release.run',
  /** owner/name of the repository released. */
  repository: 'dev.multiarch-release.repository',
  /** The process that started it: `<host>/<boot id>/<pid>/<start>` (see host-process.ts). */
  process: 'dev.multiarch-release.process',
  /** Milliseconds since the epoch after which its run no longer needs it (the smoke deadline). */
  expires: 'dev.multiarch-release.expires',
} as const

/** Which run a container belongs to. */
export interface ContainerOwner {
  readonly run: string
  readonly repository: string
  readonly process: string
}

/** A container found on the engine with the action's labels. */
export interface LabelledContainer {
  readonly id: string
  readonly name: string
  readonly owner: ContainerOwner
  /** Undefined when the label is missing or unreadable. */
  readonly expires: number | undefined
}

/** A container the action removed, and why it could go. */
export interface RemovedContainer {
  readonly name: string
  readonly run: string
  readonly repository: string
  readonly reason: string
}

/** Images a build-only run loads for its smoke tests: `<this>:<run id>-<attempt>-<image>-<platform>`. */
export const LOADED_SMOKE_IMAGE = 'multiarch-release-smoke'

/** A live run may still hold its containers this long past its deadline (removing them, a slow engine). */
export const EXPIRY_MARGIN_MS = 10 * 60_000

/** The labels of a container started for `owner`, needed until `expires`. */
export function ownerLabels(owner: ContainerOwner, expires: number): Record<string, string> {
  return {
    [OWNER_LABELS.run]: owner.run,
    [OWNER_LABELS.repository]: owner.repository,
    [OWNER_LABELS.process]: owner.process,
    [OWNER_LABELS.expires]: String(Math.round(expires)),
  }
}

/** Reads a container's labels back; undefined for a container the action did not label. */
export function labelledContainer(
  id: string,
  name: string,
  labels: Readonly<Record<string, string | undefined>>,
): LabelledContainer | undefined {
  const run = labels[OWNER_LABELS.run]
  if (!run) return undefined
  const expires = Number(labels[OWNER_LABELS.expires] ?? '')
  return {
    id,
    name,
    owner: {
      run,
      repository: labels[OWNER_LABELS.repository] ?? '',
      process: labels[OWNER_LABELS.process] ?? '',
    },
    expires: Number.isFinite(expires) && expires > 0 ? expires : undefined,
  }
}

/** Whether the process that started a container is alive: undefined when this host cannot tell. */
export type Liveness = (process: string) => boolean | undefined

/**
 * Whether a container another run left may be removed, and why. Conservative: only when its
 * run is certainly over: the process that started it is gone from this very host, or its
 * deadline passed long ago (a live run removes its containers at the deadline).
 */
export function leftoverVerdict(
  container: LabelledContainer,
  self: ContainerOwner,
  now: number,
  alive: Liveness,
): { readonly remove: boolean; readonly reason: string } {
  if (container.owner.run === self.run && container.owner.repository === self.repository)
    return { remove: false, reason: 'this run' }
  const live = container.owner.process === '' ? undefined : alive(container.owner.process)
  if (live === true) return { remove: false, reason: 'its run is alive on this host' }
  if (live === false) return { remove: true, reason: 'the run that started it has ended' }
  if (container.expires !== undefined && now > container.expires + EXPIRY_MARGIN_MS) {
    const minutes = Math.round((now - container.expires) / 60_000)
    return { remove: true, reason: `its smoke deadline passed ${minutes} min ago` }
  }
  return { remove: false, reason: 'its run may still be alive' }
}
