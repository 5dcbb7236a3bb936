import type { ImageBuild } from '../model/inputs.js'
import type { Visibility } from '../model/errors.js'
import type { SmokeCheck } from '../model/smoke.js'

/** Something this run made visible outside the runner. */
export type VisibleChange =
  | { kind: 'candidate'; ref: string }
  | { kind: 'tag'; ref: string; floating: boolean }
  | { kind: 'draft'; id: number; url: string }
  | { kind: 'release'; id: number; url: string }

export interface StepRecord {
  readonly name: string
  readonly startedAt: number
  endedAt?: number
  outcome?: 'done' | 'skipped' | 'failed'
  note?: string
}

/** One platform of one image, as the summary's table shows it. */
export interface PlatformReport {
  readonly platform: string
  manifestDigest?: string
  /** detail: the check names, or what failed; checks: each check as it ran. */
  smoke?: { ok: boolean; detail: string; ms: number; checks?: readonly SmokeCheck[] }
}

/** What users can see of one image: its candidate, its checks, the tags that stayed. */
export interface ImageReport {
  readonly build: ImageBuild
  candidate?: { ref: string; digest: string }
  /** Where an already verified digest of this build was found, so build and smoke were skipped. */
  reused?: 'version tag' | 'verified record'
  readonly platforms: Map<string, PlatformReport>
  /** Floating tags left where they are (image references, in any of its repositories), and why. */
  readonly kept: { readonly ref: string; readonly reason: string }[]
  /** How much of the build came from the cache. */
  cache?: { cached: number; steps: number }
  /** Attestation manifests (provenance, SBOM) found in the index. */
  attestations?: number
  /** The tags cosign wrote beside the image (sha256-<hex>.sig): they stay, as asked for. */
  readonly signatures: string[]
}

/**
 * The record of a run as users read it: the failure report, the job summary and the outputs
 * are made from it, and nothing in it steers the run.
 */
export interface Report {
  /** One entry per image of the release (one, or every component), in the inputs' order. */
  readonly images: readonly ImageReport[]
  readonly visible: VisibleChange[]
  readonly timeline: StepRecord[]
  /** Floating tags a rollback moved: from where, to where. */
  readonly moves: { ref: string; from: string; to: string }[]
  /** The version the run decided, and its git tag. */
  version?: string
  gitTag?: string
  /** Set when the run decided to release nothing on purpose. */
  skipped?: string
  /** The Release was already published for this commit by an earlier run. */
  releaseDone?: boolean
  /** release-draft: the Release was left a draft for a person to review and publish. */
  awaitingReview?: { readonly id: number; readonly url: string }
  /** Whether the Release became GitHub's Latest, and why. */
  latest?: { readonly latest: boolean; readonly reason: string }
}

export function newReport(builds: readonly ImageBuild[]): Report {
  return {
    images: builds.map((build) => ({ build, platforms: new Map(), kept: [], signatures: [] })),
    visible: [],
    timeline: [],
    moves: [],
  }
}

/** The report of one image, found by its component name. */
export function imageReport(report: Report, name: string): ImageReport {
  const found = report.images.find((r) => r.build.name === name)
  if (!found) throw new Error(`no image named ${name} in this run`)
  return found
}

/** The sentence a failure report gives for what users can already see. */
export function visibility(report: Pick<Report, 'visible'>): Visibility {
  const kinds = new Set(report.visible.map((v) => v.kind))
  if (kinds.has('release')) return 'release published'
  if (kinds.has('tag')) return 'tags promoted'
  if (kinds.has('draft')) return 'draft only'
  if (kinds.has('candidate')) return 'untagged manifests only'
  return 'nothing'
}
