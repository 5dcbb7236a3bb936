import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { pack as tarPack } from 'tar-stream'
import type { ImageRepository } from '../model/image-ref.js'
import { StepFailure } from '../model/errors.js'
import type { RegistryClient } from '../ports/registry-http.js'

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
}

const hex = (digest: string): string => digest.replace(/^sha256:/, '')

/**
 * Writes an OCI image layout (as a tar) holding the index at `digest` with every platform,
 * attestation and blob, read from the registry: the very image the release promoted.
 */
export async function writeOciArchive(
  reader: RegistryClient,
  image: ImageRepository,
  digest: string,
  tag: string,
  path: string,
): Promise<{ sha256: string; blobs: number }> {
  const pack = tarPack()
  const written = pipeline(pack, createWriteStream(path))
  const seen = new Set<string>()
  const addBytes = (name: string, bytes: Buffer): void => {
    pack.entry({ name, size: bytes.length }, bytes)
  }
  const addBlob = async (descriptor: Descriptor): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    const source = await reader.blob(descriptor.digest)
    const entry = pack.entry({
      name: `blobs/sha256/${hex(descriptor.digest)}`,
      size: descriptor.size,
    })
    await pipeline(source, entry)
  }
  // Manifests are written as the registry's exact bytes, so every digest still holds.
  const addManifest = async (manifestDigest: string): Promise<Record<string, unknown>> => {
    const bytes = await reader.manifest(manifestDigest)
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    if (actual !== manifestDigest)
      throw new StepFailure(`the registry served ${actual} for ${manifestDigest}`)
    if (!seen.has(manifestDigest)) {
      seen.add(manifestDigest)
      addBytes(`blobs/sha256/${hex(manifestDigest)}`, bytes)
    }
    return JSON.parse(bytes.toString()) as Record<string, unknown>
  }

  addBytes('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })))
  const index = await addManifest(digest)
  for (const child of (index.manifests ?? []) as Descriptor[]) {
    const manifest = await addManifest(child.digest)
    await addBlob(manifest.config as Descriptor)
    for (const layer of (manifest.layers ?? []) as Descriptor[]) await addBlob(layer)
  }
  const indexBytes = await reader.manifest(digest)
  addBytes(
    'index.json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType:
              typeof index.mediaType === 'string'
                ? index.mediaType
                : 'application/vnd.oci.image.index.v1+json',
            digest,
            size: indexBytes.length,
            // docker load names the image after these.
            annotations: {
              'org.opencontainers.image.ref.name': tag,
              'io.containerd.image.name': `${image.name}:${tag}`,
            },
          },
        ],
      }),
    ),
  )
  pack.finalize()
  await written
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return { sha256: hash.digest('hex'), blobs: seen.size }
}
