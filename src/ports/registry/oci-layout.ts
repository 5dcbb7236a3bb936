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

/**
 * Writes an OCI image layout (as a tar) holding the index at `digest` with every platform,
 * attestation and blob, read from the registry: the very image the release promoted.
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

  try {
    addBytes('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })))
    const index = await addManifest(digest)
    for (const child of (index.json.manifests ?? []) as Descriptor[]) {
      const manifest = (await addManifest(child.digest)).json
      await addBlob(manifest.config as Descriptor)
      for (const layer of (manifest.layers ?? []) as Descriptor[]) await addBlob(layer)
    }
    addBytes('index.json', Buffer.from(JSON.stringify(layoutIndex(image, digest, tag, index))))
    pack.finalize()
  } catch (error) {
    // A half-written archive is no asset: stop writing, report the cause.
    pack.destroy()
    await written.catch(() => undefined)
    throw error
  }
  await written
}
