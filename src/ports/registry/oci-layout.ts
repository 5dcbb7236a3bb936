import { createWriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pack as tarPack } from 'tar-stream'
import { StepFailure } from '../../model/errors.js'
import type { ImageRepository } from '../../model/image-ref.js'
import { digestOf, type Descriptor } from '../../model/oci.js'

/** What the archive reads from the repository: manifests' exact bytes and blobs. */
export interface LayoutSource {
  manifest(digest: string): Promise<Buffer>
  blob(digest: string): Promise<Readable>
}

const hex = (digest: string): string => digest.replace(/^sha256:/, '')

interface Manifest {
  readonly bytes: Buffer
  readonly json: Record<string, unknown>
}

/** The layout's index.json: it points at the one index the archive holds. */
function layoutIndex(
  image: ImageRepository,
  digest: string,
  tag: string,
  index: Manifest,
): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType:
          typeof index.json.mediaType === 'string'
            ? index.json.mediaType
            : 'application/vnd.oci.image.index.v1+json',
        digest,
        size: index.bytes.length,
        // docker load names the image after these.
        annotations: {
          'org.opencontainers.image.ref.name': tag,
          'io.containerd.image.name': `${image.name}:${tag}`,
        },
      },
    ],
  }
}

/** One platform image of the archive, as Docker's manifest.json lists it. */
interface DockerImage {
  readonly platform: string
  readonly config: string
  readonly layers: readonly string[]
}

/** Attestation manifests (provenance, SBOM) are no image to load. */
const isAttestation = (d: Descriptor): boolean =>
  d.platform?.os === 'unknown' ||
  d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'

/** The platform a plain `docker load` on the classic store leaves the tag on (see below). */
const PREFERRED_PLATFORM = 'linux/amd64'

/**
 * Docker's manifest.json, which the classic image store's `docker load` reads (the containerd
 * store reads index.json): an entry per platform, each tagged `name:tag`. That store keeps one
 * image per tag, so `docker load --platform P` loads P alone; a plain load loads all and the
 * last one keeps the tag, hence linux/amd64 (what most machines run) comes last.
 */
export function dockerManifest(
  images: readonly DockerImage[],
  repoTag: string,
): Record<string, unknown>[] {
  const ordered = [
    ...images.filter((i) => i.platform !== PREFERRED_PLATFORM),
    ...images.filter((i) => i.platform === PREFERRED_PLATFORM),
  ]
  return ordered.map((i) => ({
    Config: `blobs/sha256/${hex(i.config)}`,
    RepoTags: [repoTag],
    Layers: i.layers.map((l) => `blobs/sha256/${hex(l)}`),
  }))
}

const platformOf = (d: Descriptor | undefined): string =>
  d?.platform
    ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')
    : ''

/**
 * Writes an OCI image layout (as a tar) holding the index at `digest` with every platform,
 * attestation and blob, read from the registry: the very image the release promoted; and
 * Docker's manifest.json beside index.json, so that `docker load` works on either image store.
 */
export async function writeOciArchive(
  source: LayoutSource,
  image: ImageRepository,
  digest: string,
  tag: string,
  path: string,
): Promise<void> {
  const pack = tarPack()
  const written = pipeline(pack, createWriteStream(path))
  const seen = new Set<string>()
  const addBytes = (name: string, bytes: Buffer): void => {
    pack.entry({ name, size: bytes.length }, bytes)
  }
  const addBlob = async (descriptor: Descriptor): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    const blob = await source.blob(descriptor.digest)
    const entry = pack.entry({
      name: `blobs/sha256/${hex(descriptor.digest)}`,
      size: descriptor.size,
    })
    await pipeline(blob, entry)
  }
  // Manifests are written as the registry's exact bytes, so every digest still holds.
  const addManifest = async (manifestDigest: string): Promise<Manifest> => {
    const bytes = await source.manifest(manifestDigest)
    const actual = digestOf(bytes)
    if (actual !== manifestDigest)
      throw new StepFailure(`the registry served ${actual} for ${manifestDigest}`)
    if (!seen.has(manifestDigest)) {
      seen.add(manifestDigest)
      addBytes(`blobs/sha256/${hex(manifestDigest)}`, bytes)
    }
    return { bytes, json: JSON.parse(bytes.toString()) as Record<string, unknown> }
  }

  const images: DockerImage[] = []
  // An image manifest: its config and layers; an image of manifest.json unless an attestation.
  const addImage = async (manifest: Manifest, descriptor?: Descriptor): Promise<void> => {
    const config = manifest.json.config as Descriptor
    const layers = (manifest.json.layers ?? []) as Descriptor[]
    await addBlob(config)
    for (const layer of layers) await addBlob(layer)
    if (descriptor && isAttestation(descriptor)) return
    images.push({
      // only the order of several platforms needs it: a lone image has none to keep
      platform: platformOf(descriptor),
      config: config.digest,
      layers: layers.map((l) => l.digest),
    })
  }

  try {
    addBytes('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })))
    const top = await addManifest(digest)
    // The promoted digest is an index, or one image when a single platform has no attestation.
    if (top.json.config) await addImage(top)
    for (const child of (top.json.manifests ?? []) as Descriptor[]) {
      await addImage(await addManifest(child.digest), child)
    }
    addBytes('index.json', Buffer.from(JSON.stringify(layoutIndex(image, digest, tag, top))))
    addBytes(
      'manifest.json',
      Buffer.from(JSON.stringify(dockerManifest(images, `${image.name}:${tag}`))),
    )
    pack.finalize()
  } catch (error) {
    // A half-written archive is no asset: stop writing, report the cause.
    pack.destroy()
    await written.catch(() => undefined)
    throw error
  }
  await written
}
