import type { RunContext } from '../context.js'

/** Something a step would make visible outside the runner, as the plan announces it. */
export interface Reveal {
  readonly kind:
    | 'candidate'
    | 'verified marker'
    | 'signature'
    | 'draft'
    | 'version tag'
    | 'extra tag'
    | 'floating tag'
    | 'release'
  /** An image reference, or the git tag of a Release. */
  readonly ref: string
  /** Whether users would notice it: candidates, markers and drafts are unannounced. */
  readonly announced: boolean
  /** What is there now, when the plan could read it (already there, moves from, stays). */
  readonly note?: string
}

/** One unit of the release, run in the pipeline's order. */
export interface Step {
  readonly name: string
  /** Why the step is here, in one line: shown by the plan and the summary. */
  readonly why: string
  /** A reason to skip the step in this run, or undefined to run it. */
  skip?(ctx: RunContext): string | undefined
  /** The step only reads (git, GitHub GETs, registry reads): a plan runs it for real. */
  readonly readOnly?: boolean
  /** What the step would make visible, for the plan; may read, never writes. */
  reveals?(ctx: RunContext): readonly Reveal[] | Promise<readonly Reveal[]>
  run(ctx: RunContext): Promise<void>
  /** What the user should do when the step fails, given what is already visible. */
  remedy(ctx: RunContext): string
}

/** Why a run does not release at all: a build-only run, or one platform for a release job. */
export function notReleasing(ctx: RunContext): string | undefined {
  if (ctx.mode === 'build') return 'build-only run'
  if (ctx.mode === 'build-platform')
    return 'a build-platform run hands its digest to the release job'
  return undefined
}

/** The Release steps have nothing to do when not releasing, or once an earlier run published it. */
export function skipWhenReleaseDone(ctx: RunContext): string | undefined {
  const reason = notReleasing(ctx)
  if (reason !== undefined) return reason
  return ctx.releaseDone
    ? 'the Release of this version is already published for this commit'
    : undefined
}
