import { readdir, rename, rm, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { layoutImage } from './registry/oci-push.js'

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

/**
 * Removes the blobs of a layout that its index.json does not reach (those of earlier releases)
 * and any unfinished write; how many blobs went.
 */
export async function pruneLayout(layout: string): Promise<number> {
  const { manifests, blobs: named } = await layoutImage(layout)
  const keep = new Set([...manifests.map((m) => m.digest), ...named.keys()])
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
