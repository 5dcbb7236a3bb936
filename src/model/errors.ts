import { CREDENTIALS_REMEDY } from './remedies.js'

/** What a failed run had already made visible to users when it stopped. */
export type Visibility =
  'nothing' | 'untagged manifests only' | 'tags promoted' | 'draft only' | 'release published'

/** One bad input: the input's name, the value given, and what would be accepted. */
export interface InputProblem {
  input: string
  value: string
  accepted: string
}

/** Every bad input of a run, found before any side effect. */
export class InputError extends Error {
  readonly problems: readonly InputProblem[]

  constructor(problems: readonly InputProblem[]) {
    super(
      problems
        .map((p) => `Input '${p.input}': ${JSON.stringify(p.value)} is not valid; ${p.accepted}.`)
        .join('\n'),
    )
    this.name = 'InputError'
    this.problems = problems
  }
}

/** A failure outside the action's control (engine, registry, GitHub), with its own message. */
export class StepFailure extends Error {
  readonly remedy: string | undefined

  constructor(message: string, remedy?: string) {
    super(message)
    this.name = 'StepFailure'
    this.remedy = remedy
  }
}

/** A failed run as the user reads it: where, why, what is already out there, what to do. */
export class ReleaseError extends Error {
  readonly step: string
  readonly reason: string
  readonly visible: Visibility
  readonly remedy: string

  constructor(step: string, reason: string, visible: Visibility, remedy: string) {
    super(`Step '${step}' failed: ${reason}\nVisible to users: ${visible}.\nRemedy: ${remedy}`)
    this.name = 'ReleaseError'
    this.step = step
    this.reason = reason
    this.visible = visible
    this.remedy = remedy
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The registry refused the run's credentials for a reference: the user must log in anew. */
export class RegistryUnauthorized extends StepFailure {
  constructor(ref: string, cause: string) {
    super(`the registry rejected the credentials for ${ref}: ${cause}`, CREDENTIALS_REMEDY)
    this.name = 'RegistryUnauthorized'
  }
}

/** The remedy of a cancelled run: the steps are built so that a re-run continues from any point. */
export const CANCELLED_REMEDY = 're-run the workflow: it picks up where this run stopped'

/** The job was cancelled (SIGINT, SIGTERM): the wait it interrupted, and the run, stop here. */
export class Cancelled extends StepFailure {
  constructor(
    readonly signal: string,
    during?: string,
  ) {
    super(`the job was cancelled (${signal})${during ? ` while ${during}` : ''}`, CANCELLED_REMEDY)
    this.name = 'Cancelled'
  }
}

/** The cancellation behind an error that a cancelled wait or request ended with, if it was one. */
export function cancellationOf(
  signal: AbortSignal | undefined,
  error: unknown,
): Cancelled | undefined {
  if (error instanceof Cancelled) return error
  if (!signal?.aborted) return undefined
  return signal.reason instanceof Cancelled ? signal.reason : new Cancelled(String(signal.reason))
}
