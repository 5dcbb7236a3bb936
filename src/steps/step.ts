import type { RunContext } from '../context.js'

/** One unit of the release, run in the pipeline's order. */
export interface Step {
  readonly name: string
  /** Why the step is here, in one line: shown by the plan and the summary. */
  readonly why: string
  /** A reason to skip the step in this run, or undefined to run it. */
  skip?(ctx: RunContext): string | undefined
  run(ctx: RunContext): Promise<void>
  /** What the user should do when the step fails, given what is already visible. */
  remedy(ctx: RunContext): string
}

/** The Release steps have nothing to do in a build-only run, or once an earlier run published it. */
export function skipWhenReleaseDone(ctx: RunContext): string | undefined {
  if (ctx.mode === 'build') return 'build-only run'
  return ctx.releaseDone
    ? 'the Release of this version is already published for this commit'
    : undefined
}
