import type { Descriptor, ImageConfigPlatform, ImageIndex } from './oci.js'
import { formatPlatform, normalizePlatform, type Platform } from './platform.js'

/** Attestation manifests (provenance, SBOM) sit in the index as unknown/unknown; never platforms. */
export function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  )
}

export interface PlatformCheck {
  /** Platform entries of the index, keyed by their normalized name. */
  readonly entries: ReadonlyMap<string, Descriptor>
  readonly missing: readonly string[]
  readonly unexpected: readonly string[]
  readonly duplicated: readonly string[]
  readonly attestations: number
}

/** Compares an index's platform entries with the platforms asked for. */
export function checkIndexPlatforms(
  index: ImageIndex,
  requested: readonly Platform[],
): PlatformCheck {
  const entries = new Map<string, Descriptor>()
  const duplicated: string[] = []
  const unexpected: string[] = []
  let attestations = 0
  const wanted = new Set(requested.map(formatPlatform))
  for (const descriptor of index.manifests) {
    if (isAttestation(descriptor)) {
      attestations++
      continue
    }
    const name = descriptor.platform ? formatPlatform(descriptor.platform) : 'no platform'
    if (entries.has(name)) duplicated.push(name)
    else entries.set(name, descriptor)
    if (!wanted.has(name)) unexpected.push(name)
  }
  const missing = [...wanted].filter((name) => !entries.has(name))
  return { entries, missing, unexpected, duplicated, attestations }
}

export function describePlatformCheck(check: PlatformCheck): string[] {
  const lines: string[] = []
  for (const name of check.missing) lines.push(`platform ${name} is missing from the index`)
  for (const name of check.unexpected)
    lines.push(`platform ${name} is in the index but was not requested`)
  for (const name of check.duplicated)
    lines.push(`platform ${name} appears more than once in the index`)
  return lines
}

export function configMatches(entry: Platform, config: ImageConfigPlatform): boolean {
  return formatPlatform(normalizePlatform(entry)) === formatPlatform(normalizePlatform(config))
}
