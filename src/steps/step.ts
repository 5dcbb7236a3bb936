import type { ImageBuild } from '../model/inputs.js'
import type { ArtifactName, Artifacts } from '../run/artifacts.js'
import type { Run } from '../run/run.js'

/** Something a step would make visible outside the runner, as the plan announces it. */
export interface Reveal {
  readonly kind:
    /** A manifest pushed by digest: in no tag list (a registry's UI may list it as untagged). */
    | 'untagged manifest'
    | 'signature'
    | 'draft'
    | 'version tag'
    | 'extra tag'
    | 'floating tag'
    | 'release'
  /** An image reference, or the git tag of a Release. */
  readonly ref: string
  /** Whether users would notice it: untagged manifests and drafts are unannounced. */
  readonly announced: boolean
  /** What is there now, when the plan could read it (already there, moves from, stays). */
  readonly note?: string
}

/** A step's way to end the run on purpose: nothing to release, for this reason. */
export interface Stop {
  readonly stop: string
}

/**
 * One unit of the release, run in the pipeline's order. It names the results it needs from
 * earlier steps and the results it gives; it is handed exactly what it needs.
 */
export interface Step<
  N extends ArtifactName = never,
  G extends ArtifactName = never,
  W extends ArtifactName = never,
> {
  readonly name: string
  /** Why the step is here, in one line: shown by the plan and the summary. */
  readonly why: string
  readonly needs: readonly N[]
  readonly gives: readonly G[]
  /** Results it uses when an earlier step gave them (a plan reads on past a failed preflight). */
  readonly wants?: readonly W[]
  /** The step only reads (git, GitHub GETs, registry reads): a plan runs it for real. */
  readonly readOnly?: boolean
  /** A reason to skip the step in this run, or undefined to run it; asked with what is known. */
  skip?(run: Run, have: Partial<Artifacts>): string | undefined
  /** What a skipped step hands on, without doing anything (the reused digests, say). */
  pass?(run: Run, have: Pick<Artifacts, N>): Pick<Artifacts, G>
  /** What the step would make visible, for the plan; may read, never writes. */
  reveals?(run: Run, have: Partial<Artifacts>): readonly Reveal[] | Promise<readonly Reveal[]>
  run(
    run: Run,
    have: Pick<Artifacts, N> & Partial<Pick<Artifacts, W>>,
  ): Promise<Pick<Artifacts, G> | Stop>
  /** What the user should do when the step fails, given what is already visible. */
  remedy(run: Run): string
}

/** Any step, as a pipeline lists them. */
export interface AnyStep {
  readonly name: string
  readonly why: string
  readonly needs: readonly ArtifactName[]
  readonly gives: readonly ArtifactName[]
  readonly wants?: readonly ArtifactName[]
  readonly readOnly?: boolean
  skip?(run: Run, have: Partial<Artifacts>): string | undefined
  pass?(run: Run, have: Artifacts): Partial<Artifacts>
  reveals?(run: Run, have: Partial<Artifacts>): readonly Reveal[] | Promise<readonly Reveal[]>
  run(run: Run, have: Artifacts): Promise<Partial<Artifacts> | Stop>
  remedy(run: Run): string
}

/** Declares a step; its needs and gives are read from the lists it names. */
export const defineStep = <
  N extends ArtifactName = never,
  G extends ArtifactName = never,
  W extends ArtifactName = never,
>(
  step: Step<N, G, W>,
): Step<N, G, W> => step

/** Why a run does not release at all: a build-only run, or one platform for a release job. */
export function notReleasing(run: Pick<Run, 'mode'>): string | undefined {
  if (run.mode === 'build') return 'build-only run'
  if (run.mode === 'build-platform')
    return 'a build-platform run hands its digest to the release job'
  return undefined
}

/** The Release steps have nothing to do when not releasing, or once an earlier run published it. */
export function skipWhenReleaseDone(
  run: Pick<Run, 'mode'>,
  have: Partial<Artifacts>,
): string | undefined {
  const reason = notReleasing(run)
  if (reason !== undefined) return reason
  return have.published
    ? 'the Release of this version is already published for this commit'
    : undefined
}

/** How a message names an image: by component when the release has several. */
export function imageLabel(run: Pick<Run, 'inputs'>, build: ImageBuild, platform?: string): string {
  const parts = run.inputs.components.length > 1 ? [`component ${build.name}`] : []
  if (platform !== undefined) parts.push(platform)
  return parts.join(', ')
}
