import type { DriverAbilities } from '../build/strategy.js'
import type { MaintenanceLine } from '../model/branch-policy.js'
import type { ImageBuild } from '../model/inputs.js'
import type { ImageRepository } from '../model/image-ref.js'
import type { ImageConfig } from '../model/oci.js'
import type { Platform } from '../model/platform.js'
import type { FinalTag } from '../model/tags.js'
import type { Channel } from '../model/version.js'
import type { Release } from '../ports/github.js'
import type { Lease } from '../release/lease.js'

/** preflight: the builder the run builds with. */
export interface BuilderFacts {
  readonly driver: string
  readonly abilities: DriverAbilities
}

/** plan: what the run builds or releases. */
export interface ReleasePlan {
  readonly version: string
  readonly channel: Channel
  /** The commit that is built and released. */
  readonly commit: string
  /** Seconds since the epoch of the released commit; builds are stamped with it. */
  readonly commitTime: number
  /** The git tag of the release, v<version>; empty for a build-only run. */
  readonly gitTag: string
  /** The image tags in promotion order: the version tag first, the floating tags last. */
  readonly tags: readonly FinalTag[]
  /** Released from a maintenance branch: its line only, never latest or GitHub's Latest. */
  readonly maintenance?: MaintenanceLine
}

/** A digest of this very build that an earlier run verified or promoted. */
export interface Reuse {
  readonly from: 'version tag' | 'verified record'
  readonly ref: string
  readonly digest: string
}

/** plan: one image of the release, with its build identity and what earlier runs left. */
export interface PlannedImage {
  readonly build: ImageBuild
  /** What its build is made of; a digest is reused only for the same identity. */
  readonly identity: string
  readonly reuse: Reuse | undefined
}

/** build: an image's candidate digest, built, assembled from native runners, or reused. */
export interface Candidate {
  readonly image: PlannedImage
  /** Where it can be read: name@digest (untagged), or the version tag that holds it. */
  readonly ref: string
  readonly digest: string
}

/** assert-manifest: one platform of a checked index. */
export interface PlatformManifest {
  readonly name: string
  readonly platform: Platform
  readonly manifestDigest: string
  /** Its image config, read once by the assertion and used by the smoke tests. */
  readonly config: ImageConfig | undefined
}

/** assert-manifest: a candidate whose index holds exactly the requested platforms. */
export interface CheckedImage {
  readonly candidate: Candidate
  readonly platforms: readonly PlatformManifest[]
}

/** replicate: a verified digest copied, untagged, to a further repository and read back there. */
export interface Replica {
  readonly candidate: Candidate
  readonly repository: ImageRepository
}

/**
 * What the steps hand on, each named after the result it is. A step declares what it needs
 * and what it gives; the pipeline hands a step exactly what it needs, so that a step never asks
 * whether an earlier one ran.
 */
export interface Artifacts {
  readonly builder: BuilderFacts
  readonly plan: ReleasePlan
  readonly images: readonly PlannedImage[]
  /** The Release an earlier run, or a concurrent one, already published for this commit. */
  readonly published: Release | undefined
  readonly candidates: readonly Candidate[]
  readonly checked: readonly CheckedImage[]
  readonly draft: Release
  /** replicate: each verified digest in every further repository of its image, read back. */
  readonly replicas: readonly Replica[]
  /** Held while floating tags move and the Release is published; undefined when not needed. */
  readonly lease: Lease | undefined
  /** promote: every final tag that must read back as its digest before the Release is published. */
  readonly promoted: readonly { readonly ref: string; readonly digest: string }[]
  /** Whether the Release becomes GitHub's Latest, decided under the lease from the history. */
  readonly latest: { readonly latest: boolean; readonly reason: string }
}

export type ArtifactName = keyof Artifacts
