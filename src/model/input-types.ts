// What the action's inputs become once parsed: types only, so every parser can name them.
import type semver from 'semver'
import type { TimeoutTable } from './duration.js'
import type { ImageRepository } from './image-ref.js'
import type { Annotation, HostEntry, NamedContext, Ulimit } from './build-inputs.js'
import type { BuildSecrets } from './build-secrets.js'
import type { ReleaseOptions } from './release-options.js'
import type { KeyValue } from './input-kinds.js'
import type { LabelScheme } from './intent.js'
import type { Platform } from './platform.js'
import type { Signing } from './signing.js'
import type { HttpProbe, SmokeCommand } from './smoke.js'
import type { TagScheme } from './tags.js'
import type { Bump, BumpInput, ChannelInput } from './version.js'

/** plan: print what an auto run would do (version, tags, steps), reading only, changing nothing. */
export type Mode = 'auto' | 'build' | 'release' | 'build-platform' | 'rollback' | 'plan'

/** The build and smoke settings of one image. */
export interface SmokeSettings {
  readonly run: readonly SmokeCommand[]
  readonly http: HttpProbe | undefined
  readonly env: readonly KeyValue[]
  readonly timeout: TimeoutTable
}

/** One image of the release: a component, or the only image of a single-image release. */
export interface ImageBuild {
  /** The component's name; for a single image, the repository's last path part. */
  readonly name: string
  /** The first of repositories: the candidate is pushed here and promoted from here. */
  readonly image: ImageRepository
  /** Every repository this one build is released to, image first (metadata-action's images). */
  readonly repositories: readonly ImageRepository[]
  readonly platforms: readonly Platform[]
  readonly context: string
  readonly file: string
  readonly target: string | undefined
  readonly buildArgs: readonly KeyValue[]
  /** build-contexts: buildx --build-context name=source. */
  readonly buildContexts: readonly NamedContext[]
  /** The user's labels (metadata-action's among them), the release's own keys left out. */
  readonly labels: Readonly<Record<string, string>>
  /** The user's annotations at the levels they name, the release's own keys left out. */
  readonly annotations: readonly Annotation[]
  readonly noCache: boolean
  readonly pull: boolean
  /** The network of RUN instructions; undefined: the builder's default. */
  readonly network: 'default' | 'none' | 'host' | undefined
  readonly addHosts: readonly HostEntry[]
  readonly shmSize: string | undefined
  readonly ulimits: readonly Ulimit[]
  readonly smoke: SmokeSettings
}

/** Every input of the action, parsed and validated once, before any side effect. */
export interface Inputs {
  /** How accepted values were read (an image lowercased, the default image): one line each. */
  readonly notices: readonly string[]
  readonly mode: Mode
  /** The images of the release: one, or every component; all released together or none. */
  readonly components: readonly ImageBuild[]
  readonly channel: ChannelInput
  readonly version: semver.SemVer | undefined
  readonly bump: BumpInput
  readonly githubToken: string
  readonly releaseAssets: readonly string[]
  readonly releaseNotes: string | undefined
  /** release-name, release-body-path, release-draft, discussion-category, make-latest. */
  readonly releaseOptions: ReleaseOptions
  /** buildx --provenance: undefined keeps buildx's default. */
  readonly provenance: string | undefined
  /** The bump of a release whose commit has no pull request; none skips such releases. */
  readonly defaultBump: Bump | 'none'
  /** The prefix of version tags in git: v gives v1.2.3. */
  readonly tagPrefix: string
  readonly initialVersion: semver.SemVer
  readonly tagScheme: TagScheme
  readonly labels: LabelScheme
  /** An existing buildx builder (docker-container, kubernetes, remote); undefined: the current one. */
  readonly builder: string | undefined
  /** The digests that build-platform runs pushed, one per platform, for the release to assemble. */
  readonly platformDigests: readonly PlatformDigest[]
  /** Attach an OCI image layout archive of every image (all platforms) to the Release. */
  readonly releaseOciArchives: boolean
  /** buildx --sbom: undefined keeps buildx's default. */
  readonly sbom: string | undefined
  readonly cache: 'none' | 'registry' | 'gha'
  /** Credentials to log in to every image's registry with (masked, logged out afterwards). */
  readonly registryCredentials: { username: string; password: string } | undefined
  readonly signing: Signing
  /** Branches (globs) that release besides the default branch; maintenance lines among them. */
  readonly releaseBranches: readonly string[]
  /** secrets, secret-files, secret-envs and ssh, for every image's build. */
  readonly buildSecrets: BuildSecrets
}

export interface PlatformDigest {
  readonly platform: Platform | undefined
  readonly digest: string
}
