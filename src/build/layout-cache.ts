import { readFile, readdir, rename, rm, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { INDEX_MEDIA_TYPES, manifestOf, type Descriptor } from '../model/oci.js'

/**
 * The OCI layouts the docker driver exports, kept on the runner between releases.
 *
 * BuildKit writes into an existing layout folder only the blobs it does not hold yet, so a
 * release whose layers did not change exports in a fraction of the time (a 175 MB image: 2.7 s
 * into an empty folder, 0.5 s into last release's). The folder is taken for one build by
 * renaming it into the run's own folder, so two runs on one machine never share it, and given
 * back after the push, pruned to the blobs of what was pushed: it holds one image at most.
 */
export class LayoutCache {
  /** root: a folder that outlives the job (the runner's tool cache). */
  constructor(private readonly root: string) {}

  private folder(name: string): string {
    return join(this.root, encodeURIComponent(name))
  }

  /**
   * Moves the kept layout of `name` to `dir`, where the build exports: true when there was
   * one. Another run holding it, or a cache on another file system, leaves `dir` to start empty.
   */
  async claim(name: string, dir: string): Promise<boolean> {
    try {
      await rename(this.folder(name), dir)
      return true
    } catch {
      return false
    }
  }

  /** Gives a layout that was pushed back to the cache, holding only the blobs it pushed. */
  async keep(name: string, dir: string): Promise<void> {
    try {
      await pruneLayout(dir)
      await mkdir(this.root, { recursive: true })
      await rename(dir, this.folder(name))
    } catch {
      // Another run gave one back first, or the cache cannot be written: this one goes.
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Every blob the layout's index.json reaches: manifests, configs, layers. */
async function reachable(layout: string): Promise<Set<string>> {
  const seen = new Set<string>()
  const visit = async (descriptor: Descriptor): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    if (!descriptor.mediaType.includes('manifest') && !descriptor.mediaType.includes('index'))
      return
    const hex = descriptor.digest.replace(/^sha256:/, '')
    const manifest = manifestOf(
      await readFile(join(layout, 'blobs', 'sha256', hex)),
      descriptor.mediaType,
    )
    if (INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
      for (const child of (manifest.json.manifests ?? []) as Descriptor[]) await visit(child)
      return
    }
    const named = [manifest.json.config, ...((manifest.json.layers ?? []) as unknown[])]
    for (const blob of named as { digest?: string }[]) if (blob.digest) seen.add(blob.digest)
  }
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests?: Descriptor[]
  }
  for (const descriptor of index.manifests ?? []) await visit(descriptor)
  return seen
}

/**
 * Removes the blobs of a layout that its index.json does not reach (those of earlier releases)
 * and any unfinished write; how many blobs went.
 */
export async function pruneLayout(layout: string): Promise<number> {
  const keep = await reachable(layout)
  const blobs = join(layout, 'blobs', 'sha256')
  let removed = 0
  for (const hex of await readdir(blobs)) {
    if (keep.has(`sha256:${hex}`)) continue
    await rm(join(blobs, hex), { force: true })
    removed++
  }
  await rm(join(layout, 'ingest'), { recursive: true, force: true })
  return removed
}
