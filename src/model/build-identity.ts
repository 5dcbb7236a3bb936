import { createHash } from 'node:crypto'
import type { KeyValue } from './input-kinds.js'

/** The index annotation that records what a digest was built from. */
export const BUILD_IDENTITY_ANNOTATION = 'dev.multiarch-release.build-identity'

/**
 * Everything that changes an image's bits or metadata. Two builds with the same identity are
 * interchangeable; a digest is reused only for the same identity.
 */
export interface BuildIdentityParts {
  readonly commit: string
  readonly version: string
  readonly platforms: readonly string[]
  readonly context: string
  readonly file: string
  readonly target: string | undefined
  readonly buildArgs: readonly KeyValue[]
  readonly provenance: string | undefined
  readonly sbom: string | undefined
  /** The buildx driver: provenance and layer timestamps differ between drivers. */
  readonly driver: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  /** The ids of build secrets (never their values). */
  readonly secretIds: readonly string[]
  /** The user's build settings that change what is built: contexts, annotations, RUN's resources. */
  readonly settings?: readonly string[]
  /** A release job assembling native runners' digests: the platform images it assembles. */
  readonly sources?: readonly string[]
}

const sorted = (record: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The identity as `sha256:<hex>` of a canonical JSON form (schema 1). */
export function buildIdentity(parts: BuildIdentityParts): string {
  const canonical = JSON.stringify([
    1,
    parts.commit,
    parts.version,
    parts.platforms,
    parts.context,
    parts.file,
    parts.target ?? null,
    parts.buildArgs.map(({ key, value }) => [key, value]),
    parts.provenance ?? null,
    parts.sbom ?? null,
    parts.driver,
    sorted(parts.labels),
    sorted(parts.annotations),
    [...parts.secretIds].sort(),
    parts.sources ?? null,
    // Appended only when given, so that the identity of a build without them is unchanged.
    ...(parts.settings !== undefined && parts.settings.length > 0 ? [parts.settings] : []),
  ])
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`
}

/** Whether a digest found in the registry may be reused for this build, and if not, why. */
export type ReuseVerdict =
  { readonly reuse: true } | { readonly reuse: false; readonly why: string }

/**
 * Compares what a digest records (its annotations) with the identity of this run's build. The
 * commit is checked first, so that the message names the plainest difference.
 */
export function reuseVerdict(
  recorded: Readonly<Record<string, string>>,
  expected: { commit: string; version: string; identity: string },
): ReuseVerdict {
  const commit = recorded['org.opencontainers.image.revision']
  if (commit !== expected.commit) {
    return {
      reuse: false,
      why: `built from ${commit ? `commit ${commit.slice(0, 12)}` : 'an unknown commit'}, not ${expected.commit.slice(0, 12)}`,
    }
  }
  const identity = recorded[BUILD_IDENTITY_ANNOTATION]
  if (identity === undefined)
    return {
      reuse: false,
      why: 'built from this commit, but it records no build identity, so its build inputs are unknown',
    }
  if (identity === expected.identity) return { reuse: true }
  const version = recorded['org.opencontainers.image.version']
  return {
    reuse: false,
    why:
      version !== undefined && version !== expected.version
        ? `built from this commit as version ${version}, not ${expected.version}`
        : 'built from this commit with other build inputs (build-args, file, context, target, platforms, provenance, sbom, builder, labels, annotations, secrets or build settings)',
  }
}
