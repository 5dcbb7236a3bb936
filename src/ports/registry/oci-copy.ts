import { PassThrough, pipeline, type Readable } from 'node:stream'
import { StepFailure } from '../../model/errors.js'
import { INDEX_MEDIA_TYPES, digestOf, manifestOf, type Descriptor } from '../../model/oci.js'
import { settleBounded } from '../../model/parallel.js'
import type { Repository } from './distribution.js'

/** Blobs copied at once: enough to fill the link, few enough for a runner. */
const PARALLEL_BLOBS = 4

/** A blob of the source, streamed as it is sent (opened again for each attempt). */
function streamed(source: Repository, digest: string): Readable {
  const out = new PassThrough()
  source.blob(digest).then(
    (blob) => pipeline(blob, out, () => undefined),
    (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
  )
  return out
}

/** One blob: already there, mounted from the source on the same registry, or sent. */
function copyBlob(source: Repository, target: Repository, blob: Descriptor): Promise<void> {
  return target.pushBlob(
    blob.digest,
    { length: blob.size, open: () => streamed(source, blob.digest) },
    source.image,
  )
}

/**
 * Copies the image at a digest from one repository to another, by digest and without a tag:
 * blobs first, then each manifest (children before their index) as the source's exact bytes,
 * so that the digest is the same in both. What the target holds already is not sent again.
 */
export async function copyImage(
  source: Repository,
  target: Repository,
  digest: string,
): Promise<void> {
  if (await target.getManifest(digest)) return
  const found = await source.getManifest(digest)
  if (!found) throw new StepFailure(`${source.image.name}@${digest} does not exist`)
  if (digestOf(found.body) !== digest) {
    throw new StepFailure(
      `the registry served ${digestOf(found.body)} for ${source.image.name}@${digest}; nothing was copied`,
    )
  }
  const manifest = manifestOf(found.body, found.contentType)
  if (INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
    for (const child of (manifest.json.manifests ?? []) as Descriptor[])
      await copyImage(source, target, child.digest)
  } else {
    const blobs = [manifest.json.config, ...((manifest.json.layers ?? []) as unknown[])].filter(
      (b): b is Descriptor => typeof (b as Descriptor | undefined)?.digest === 'string',
    )
    const sent = await settleBounded(blobs, PARALLEL_BLOBS, (blob) =>
      copyBlob(source, target, blob),
    )
    const failed = sent.find((s) => s.status === 'rejected')
    if (failed?.status === 'rejected') throw failed.reason
  }
  await target.putManifest(digest, found.body, manifest.mediaType || found.contentType)
}
