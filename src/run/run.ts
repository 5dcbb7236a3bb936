import type { Inputs } from '../model/inputs.js'
import type { RunEnvironment } from '../model/run-env.js'
import type { Trigger } from '../model/trigger.js'
import type { ContainerEngine } from '../ports/engine.js'
import type { GitRepository } from '../ports/git.js'
import type { GitHub } from '../ports/github.js'
import type { Registry } from '../ports/registry.js'
import type { Signer } from '../ports/signer.js'
import type { Report } from './report.js'

/** How the action talks to the log, without importing the toolkit into the pipeline. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

export interface Ports {
  readonly engine: ContainerEngine
  readonly registry: Registry
  readonly git: GitRepository
  readonly github: GitHub
  /** cosign, when the release is signed. */
  readonly signer?: Signer
}

/**
 * What a run does: build (nothing pushed), build-platform (one platform pushed and checked for
 * a release job), release, or rollback.
 */
export type RunMode = 'build' | 'release' | 'build-platform' | 'rollback'

/**
 * The facts of one run, fixed before the first step: every step reads them, none changes them.
 * What the steps find is handed on as typed results (artifacts.ts); what users can see is kept
 * in the report.
 */
export interface Run {
  readonly inputs: Inputs
  readonly env: RunEnvironment
  readonly ports: Ports
  readonly log: Logger
  readonly mode: RunMode
  /** What the event asked for, and the commit it releases or builds. */
  readonly trigger: Extract<Trigger, { kind: 'build' | 'release' }>
  /** Set when the job is cancelled (SIGTERM, SIGINT): the run stops at the next safe point. */
  readonly cancellation: {
    signal?: string
    /** Aborts at the first signal: every wait given it (retries, polls, the lease) ends at once. */
    readonly abortSignal?: AbortSignal
  }
  /** A folder for the run's own files (metadata, checksums). */
  readonly workDir: string
  /** What users can see and read: the failure report, the summary and the outputs come from it. */
  readonly report: Report
  /** What must be undone when the run ends, whatever happened: a logout, the lease given back. */
  readonly onExit: OnExit
}

export interface OnExit {
  add(what: string, undo: () => Promise<void>): void
}
