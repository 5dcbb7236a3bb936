import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StepFailure } from '../../model/errors.js'
import {
  INDEX_MEDIA_TYPES,
  OCI_INDEX_MEDIA_TYPE,
  digestOf,
  manifestOf,
  registryImageConfig,
  type Descriptor,
} from '../../model/oci.js'
import { settleBounded } from '../../model/parallel.js'
import type { Repository } from './distribution.js'

/** Blobs sent at once: enough to fill the link, few enough for a runner. */
const PARALLEL_BLOBS = 4

export interface LayoutManifest {
  readonly digest: string
  readonly mediaType: string
  readonly bytes: Buffer
}

const blobPath = (layout: string, digest: string): string => {
  const [algorithm, hex] = digest.split(':')
  if (algorithm !== 'sha256' || !hex || !/^[0-9a-f]{64}$/.test(hex))
    throw new StepFailure(`the OCI layout names a blob that is not a sha256 digest: ${digest}`)
  return join(layout, 'blobs', algorithm, hex)
}

/** Every manifest under a descriptor (children first) and every blob they name. */
async function collect(
  layout: string,
  descriptor: Descriptor,
  manifests: LayoutManifest[],
  blobs: Map<string, number>,
): Promise<void> {
  const bytes = await readFile(blobPath(layout, descriptor.digest))
  if (digestOf(bytes) !== descriptor.digest)
    throw new StepFailure(`the OCI layout's ${descriptor.digest} does not hold its own bytes`)
  const manifest = manifestOf(bytes, descriptor.mediaType)
  if (INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
    const children = (manifest.json.manifests ?? []) as Descriptor[]
    for (const child of children) await collect(layout, child, manifests, blobs)
  } else {
    const named = [manifest.json.config, ...((manifest.json.layers ?? []) as unknown[])]
    for (const blob of named as { digest?: string; size?: number }[]) {
      if (blob.digest) blobs.set(blob.digest, blob.size ?? 0)
    }
  }
  manifests.push({ digest: descriptor.digest, mediaType: manifest.mediaType, bytes })
}

/**
 * The top of a layout with these annotations too (an image saved without them, or one platform
 * exported without an index to carry them): a new manifest with its own digest, or the same
 * one when it already says all of them.
 */
function annotated(
  top: LayoutManifest,
  annotate: Readonly<Record<string, string>>,
): LayoutManifest {
  const json = JSON.parse(top.bytes.toString('utf8')) as Record<string, unknown>
  const present = (json.annotations ?? {}) as Record<string, string>
  if (Object.entries(annotate).every(([key, value]) => present[key] === value)) return top
  const bytes = Buffer.from(JSON.stringify({ ...json, annotations: { ...present, ...annotate } }))
  return { ...top, digest: digestOf(bytes), bytes }
}

/**
 * The image an OCI layout holds (the first entry of its index.json): its manifests, children
 * first, each checked against its digest, and the blobs they name with their sizes.
 */
export async function layoutImage(layout: string): Promise<{
  exported: Descriptor
  manifests: LayoutManifest[]
  blobs: Map<string, number>
}> {
  const top = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests?: Descriptor[]
  }
  const [exported] = top.manifests ?? []
  if (!exported) throw new StepFailure(`the OCI layout ${layout} holds no image`)
  const manifests: LayoutManifest[] = []
  const blobs = new Map<string, number>()
  await collect(layout, exported, manifests, blobs)
  return { exported, manifests, blobs }
}

/**
 * Pushes an OCI image layout (as buildx exports it with type=oci,tar=false) by digest: its
 * blobs, then its manifests, children before the index, and no tag at all. Returns the
 * digest of what the layout holds (its index, or its only manifest).
 */
export async function pushLayout(
  repository: Repository,
  layout: string,
  annotate?: Readonly<Record<string, string>>,
): Promise<string> {
  const { exported, manifests, blobs } = await layoutImage(layout)
  // What the layout holds, annotated at its top when asked (the index, or the only manifest).
  const last = manifests.at(-1)
  if (annotate && last) manifests[manifests.length - 1] = annotated(last, annotate)
  const sent = await settleBounded([...blobs], PARALLEL_BLOBS, async ([digest]) => {
    const path = blobPath(layout, digest)
    const { size } = await stat(path)
    await repository.pushBlob(digest, { length: size, open: () => createReadStream(path) })
  })
  const failed = sent.find((s) => s.status === 'rejected')
  if (failed?.status === 'rejected') throw failed.reason
  for (const manifest of manifests)
    await repository.putManifest(manifest.digest, manifest.bytes, manifest.mediaType)
  return manifests.at(-1)?.digest ?? exported.digest
}

/**
 * One index of several pushed images (native runners' platform images, each a manifest or an
 * index of one platform and its attestations), stored by its digest without a tag.
 */
export async function assembleIndex(
  repository: Repository,
  sources: readonly string[],
  annotations: Readonly<Record<string, string>>,
): Promise<string> {
  const entries: Descriptor[] = []
  for (const digest of sources) {
    const found = await repository.getManifest(digest)
    if (!found) throw new StepFailure(`${repository.image.name}@${digest} does not exist`)
    const manifest = manifestOf(found.body, found.contentType)
    if (INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
      entries.push(...((manifest.json.manifests ?? []) as Descriptor[]))
      continue
    }
    const config = manifest.json.config as { digest?: string } | undefined
    if (!config?.digest) throw new StepFailure(`${repository.image.name}@${digest} names no config`)
    const image = registryImageConfig(
      JSON.parse((await repository.blobBytes(config.digest)).toString('utf8')) as Record<
        string,
        unknown
      >,
    )
    entries.push({
      mediaType: manifest.mediaType,
      digest,
      size: found.body.length,
      platform: {
        os: image.os,
        architecture: image.architecture,
        ...(image.variant ? { variant: image.variant } : {}),
      },
    })
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX_MEDIA_TYPE,
      manifests: entries,
      annotations,
    }),
  )
  const digest = digestOf(index)
  await repository.putManifest(digest, index, OCI_INDEX_MEDIA_TYPE)
  return digest
}
