import { createHash } from 'node:crypto'

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json'

/** The index media types: OCI's and Docker's manifest list. */
export const INDEX_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]

/** Every manifest media type the release reads, in the order a registry is asked for them. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]

/** An OCI descriptor as it appears in an image index or manifest. */
export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly platform?: { os: string; architecture: string; variant?: string }
  readonly annotations?: Readonly<Record<string, string>>
}

export interface ImageIndex {
  readonly mediaType?: string
  readonly manifests: readonly Descriptor[]
}

/** A manifest read back from the registry, with the digest of its exact bytes. */
export interface RemoteManifest {
  readonly digest: string
  readonly mediaType: string
  readonly raw: string
  readonly json: Record<string, unknown>
}

/** The os/architecture/variant an image config declares. */
export interface ImageConfigPlatform {
  readonly os: string
  readonly architecture: string
  readonly variant?: string
}

export interface ImageConfig extends ImageConfigPlatform {
  readonly entrypoint: readonly string[]
  readonly cmd: readonly string[]
  readonly env: readonly string[]
  readonly raw: Record<string, unknown>
}

/** The content digest of bytes, as registries name blobs and manifests. */
export function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/**
 * A manifest from its exact bytes; its media type is the one it declares, else the one it was
 * served as (a Content-Type, parameters dropped).
 */
export function manifestOf(bytes: Buffer, contentType = ''): RemoteManifest {
  const raw = bytes.toString('utf8')
  const json = JSON.parse(raw) as Record<string, unknown>
  return {
    digest: digestOf(bytes),
    mediaType:
      typeof json.mediaType === 'string' ? json.mediaType : (contentType.split(';')[0] ?? ''),
    raw,
    json,
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/**
 * An image config as the registry (config, os, architecture) or the engine (Config, Os,
 * Architecture) spells it.
 */
export function imageConfigOf(
  raw: Record<string, unknown>,
  configKey: string,
  osKey: string,
  architectureKey: string,
  variantKey: string,
): ImageConfig {
  const config = (raw[configKey] ?? {}) as Record<string, unknown>
  const variant = text(raw[variantKey])
  return {
    os: text(raw[osKey]),
    architecture: text(raw[architectureKey]),
    ...(variant !== '' ? { variant } : {}),
    entrypoint: strings(config.Entrypoint),
    cmd: strings(config.Cmd),
    env: strings(config.Env),
    raw,
  }
}

/** An image config as the registry stores it (lowercase keys). */
export function registryImageConfig(raw: Record<string, unknown>): ImageConfig {
  return imageConfigOf(raw, 'config', 'os', 'architecture', 'variant')
}

export function asIndex(manifest: RemoteManifest): ImageIndex {
  const manifests = manifest.json.manifests
  return {
    mediaType: manifest.mediaType,
    manifests: Array.isArray(manifests) ? (manifests as ImageIndex['manifests']) : [],
  }
}

/** The OCI annotations of an index (empty when it has none). */
export function annotationsOf(manifest: RemoteManifest): Record<string, string> {
  const annotations = manifest.json.annotations
  return annotations !== null && typeof annotations === 'object'
    ? (annotations as Record<string, string>)
    : {}
}
