// The kept OCI layouts of the docker driver's exports, on real folders.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, test } from '@jest/globals'
import { LayoutCache, pruneLayout } from '../../src/ports/layout-cache.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'layout-cache-'))
})
afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

const digest = (bytes: string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** Writes a blob into a layout; its digest. */
function blob(layout: string, bytes: string): string {
  const d = digest(bytes)
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true })
  writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), bytes)
  return d
}

/** A layout of one index over two platform manifests, each with a config and a layer. */
function layout(dir: string, tag: string): Set<string> {
  const written = new Set<string>()
  const manifests = ['amd64', 'arm64'].map((arch) => {
    const config = blob(dir, JSON.stringify({ architecture: arch, tag }))
    const layer = blob(dir, `layer of ${arch}`) // shared by every tag: the same bytes
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 1 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 1 },
      ],
    })
    const m = blob(dir, manifest)
    written.add(config).add(layer).add(m)
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m, size: 1 }
  })
  const index = blob(
    dir,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests,
    }),
  )
  written.add(index)
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: index, size: 1 }],
    }),
  )
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  return written
}

const blobsOf = (dir: string): Set<string> =>
  new Set(readdirSync(join(dir, 'blobs', 'sha256')).map((hex) => `sha256:${hex}`))

test('pruneLayout keeps exactly the blobs index.json reaches, and drops unfinished writes', async () => {
  const dir = join(root, 'layout')
  const first = layout(dir, '1.0.0')
  // The next export into the same folder: new configs, manifests and index; the layers stay.
  const second = layout(dir, '1.0.1')
  mkdirSync(join(dir, 'ingest', 'abc'), { recursive: true })
  expect(blobsOf(dir).size).toBe(first.size + second.size - 2)

  const removed = await pruneLayout(dir)

  expect(blobsOf(dir)).toEqual(second)
  expect(removed).toBe(first.size - 2)
  expect(existsSync(join(dir, 'ingest'))).toBe(false)
})

test('a layout given back is claimed by the next build, pruned; a second claim finds none', async () => {
  const cache = new LayoutCache(join(root, 'cache'))
  const run1 = join(root, 'run1', 'layout-default')
  mkdirSync(join(root, 'run1'))
  expect(await cache.claim('default', run1)).toBe(false)
  layout(run1, '1.0.0')
  const second = layout(run1, '1.0.1')

  await cache.keep('default', run1)

  expect(existsSync(run1)).toBe(false)
  const run2 = join(root, 'run2', 'layout-default')
  const run3 = join(root, 'run3', 'layout-default')
  mkdirSync(join(root, 'run2'))
  mkdirSync(join(root, 'run3'))
  expect(await cache.claim('default', run2)).toBe(true)
  expect(blobsOf(run2)).toEqual(second)
  // Another run at the same time starts from an empty folder, never from the same one.
  expect(await cache.claim('default', run3)).toBe(false)
  expect(existsSync(run3)).toBe(false)
})

test('of two runs giving a layout back, the first is kept and the second removed', async () => {
  const cache = new LayoutCache(join(root, 'cache'))
  const a = join(root, 'a')
  const b = join(root, 'b')
  const kept = layout(a, 'a')
  layout(b, 'b')
  await cache.keep('default', a)
  await cache.keep('default', b)
  expect(existsSync(b)).toBe(false)
  const claimed = join(root, 'claimed')
  expect(await cache.claim('default', claimed)).toBe(true)
  expect(blobsOf(claimed)).toEqual(kept)
})

test('components are kept apart, whatever their names hold', async () => {
  const cache = new LayoutCache(join(root, 'cache'))
  const api = join(root, 'api')
  const web = join(root, 'web')
  layout(api, 'api')
  layout(web, 'web')
  await cache.keep('api/v1', api)
  await cache.keep('web', web)
  expect(readdirSync(join(root, 'cache')).sort()).toEqual(['api%2Fv1', 'web'])
})
