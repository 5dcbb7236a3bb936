import type { ImageBuild, Inputs } from './model/inputs.js'
import type { RunEnvironment } from './model/run-env.js'
import type { Channel } from './model/version.js'
import type { FinalTag } from './model/tags.js'
import type { MaintenanceLine } from './model/branch-policy.js'
import type { DriverAbilities } from './build/strategy.js'
import type { Trigger } from './model/trigger.js'
import type { Visibility } from './model/errors.js'
import type { ContainerEngine } from './ports/engine.js'
import type { Registry } from './ports/registry.js'
import type { GitRepository } from './ports/git.js'
import type { GitHub, Release } from './ports/github.js'
import type { Signer } from './ports/signer.js'
import type { ImageConfig } from './model/oci.js'
import type { SmokeCheck } from './smoke/platform-smoke.js'
import type { Lease } from './release/lease.js'

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

/** Something this run made visible outside the runner. */
export type VisibleChange =
  | { kind: 'candidate'; ref: string }
  | { kind: 'tag'; ref: string; floating: boolean }
  | { kind: 'draft'; id: number; url: string }
  | { kind: 'release'; id: number; url: string }

/** What the run decided to release, once preflight has looked around. */
export interface ReleasePlan {
  readonly version: string
  readonly channel: Channel
  /** The commit that is built and released. */
  readonly commit: string
  /** Seconds since the epoch of the released commit; builds are stamped with it. */
  readonly commitTime: number
  /** The git tag of the release, v<version>. */
  readonly gitTag: string
  /** The image tags in promotion order: the version tag first, the floating tags last. */
  readonly tags: readonly FinalTag[]
  /** Released from a maintenance branch: its line only, never latest or GitHub's Latest. */
  readonly maintenance?: MaintenanceLine
}

export interface PlatformResult {
  readonly platform: string
  manifestDigest?: string
  /** The platform's image config, read once by the assertion and used by the smoke tests. */
  config?: ImageConfig
  /** detail: the check names, or what failed; checks: each check as it ran, for the summary's table. */
  smoke?: { ok: boolean; detail: string; ms: number; checks?: readonly SmokeCheck[] }
}

export interface StepRecord {
  readonly name: string
  readonly startedAt: number
  endedAt?: number
  outcome?: 'done' | 'skipped' | 'failed'
  note?: string
}

/** What the run did with one image: its candidate, its checks, its tags. */
export interface ImageRun {
  readonly build: ImageBuild
  candidate?: { ref: string; digest: string }
  /** Candidate tags this run pushed: cleanup removes these, and nothing else. */
  readonly candidateTags: string[]
  /** Where an already verified digest of this build was found, so build and smoke are skipped. */
  reused?: 'version tag' | 'verified marker'
  readonly platforms: Map<string, PlatformResult>
  /** Floating tags left where they are: a higher version of their line is there or released. */
  readonly keptFloating: { readonly tag: string; readonly reason: string }[]
  /** How much of the build came from the cache. */
  cache?: { cached: number; steps: number }
  /** Attestation manifests (provenance, SBOM) found in the index, per platform they describe. */
  attestations?: number
}

export function newImageRun(build: ImageBuild): ImageRun {
  return { build, platforms: new Map(), keptFloating: [], candidateTags: [] }
}

/** How a message names an image: by component when the release has several. */
export function imageLabel(ctx: RunContext, run: ImageRun, platform?: string): string {
  const parts = ctx.images.length > 1 ? [`component ${run.build.name}`] : []
  if (platform !== undefined) parts.push(platform)
  return parts.join(', ')
}

/** The shared state of one run: inputs, ports, and what each step found or made. */
export interface RunContext {
  readonly inputs: Inputs
  readonly env: RunEnvironment
  readonly ports: Ports
  readonly log: Logger
  /** build: nothing pushed; build-platform: one platform pushed and checked for a release job; release. */
  readonly mode: 'build' | 'release' | 'build-platform' | 'rollback'
  /** Floating tags a rollback moved: from where, to where. */
  readonly moves: { ref: string; from: string; to: string }[]
  /** Registries this run logged in to (registry-username): logged out when it ends. */
  readonly loggedIn: string[]
  /** What the event asked for, and the commit it releases or builds. */
  readonly trigger: Extract<Trigger, { kind: 'build' | 'release' }>
  /** Set when the job is cancelled (SIGTERM, SIGINT): the run stops at the next safe point. */
  readonly cancellation: {
    signal?: string
    /** Aborts at the first signal: every wait given it (retries, polls, the lease) ends at once. */
    readonly abortSignal?: AbortSignal
  }
  /** Set when the run decides to release nothing on purpose; the remaining steps are skipped. */
  skipped?: string
  /** A folder for the run's own files (metadata, checksums). */
  readonly workDir: string
  plan?: ReleasePlan
  builderDriver?: string
  builderAbilities?: DriverAbilities
  /** One entry per image of the release (one, or every component), in the inputs' order. */
  readonly images: readonly ImageRun[]
  /** The draft (or, once published, the release) of this version. */
  release?: Release
  /** The release was already published for this commit by an earlier run. */
  releaseDone?: boolean
  /** Held while floating tags move and the Release is published: runs take turns. */
  lease?: Lease
  /** Whether the Release becomes GitHub's Latest, decided under the lease from the history. */
  latest?: { readonly latest: boolean; readonly reason: string }
  readonly visible: VisibleChange[]
  readonly timeline: StepRecord[]
}

/** The sentence a failure report gives for what users can already see. */
export function visibility(ctx: Pick<RunContext, 'visible'>): Visibility {
  const kinds = new Set(ctx.visible.map((v) => v.kind))
  if (kinds.has('release')) return 'release published'
  if (kinds.has('tag')) return 'tags promoted'
  if (kinds.has('draft')) return 'draft only'
  if (kinds.has('candidate')) return 'candidate only'
  return 'nothing'
}
