import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join, posix } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { extract, type Header } from 'tar-stream'

/** One layer of an image manifest, newest last, with a way to stream its blob. */
export interface Layer {
  readonly mediaType: string
  readonly size: number
  open(): Promise<Readable>
}

/** Layers worth streaming: larger images are left to the engine (docker cp). */
export const MAX_LAYER_BYTES = 64 * 1024 * 1024

const GZIP = /(tar\+gzip|tar\.gzip|diff\.tar\.gzip)$/
const PLAIN = /(layer\.v1\.tar|diff\.tar)$/

/** What one layer says about a path. */
type Finding =
  | { readonly kind: 'file'; readonly head: Buffer }
  | { readonly kind: 'link'; readonly target: string }
  /** Something only the engine resolves for certain: a whiteout, a parent that is not a directory. */
  | { readonly kind: 'unsure' }
  | undefined

const normalize = (name: string): string => posix.normalize(`/${name}`).replace(/\/$/, '')

function parentsOf(path: string): string[] {
  const parents: string[] = []
  for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) parents.push(dir)
  return parents
}

/** Reads one layer's tar until it knows what the layer says about `path`. */
async function scanLayer(
  stream: Readable,
  gzipped: boolean,
  path: string,
  bytes: number,
): Promise<Finding> {
  const parents = new Set(parentsOf(path))
  const whiteout = `${posix.dirname(path)}/.wh.${posix.basename(path)}`.replace(/^\/\//, '/')
  const tar = extract()
  const source = gzipped ? stream.pipe(createGunzip()) : stream
  source.on('error', (error) => {
    tar.destroy(error)
  })
  source.pipe(tar)
  let finding: Finding
  try {
    for await (const entry of tar) {
      const header: Header = entry.header
      const name = normalize(header.name)
      if (name === path) {
        if (header.type === 'file' || header.type === 'contiguous-file') {
          const chunks: Buffer[] = []
          let length = 0
          for await (const chunk of entry) {
            chunks.push(chunk as Buffer)
            length += (chunk as Buffer).length
            if (length >= bytes) break
          }
          finding = { kind: 'file', head: Buffer.concat(chunks).subarray(0, bytes) }
        } else if (header.type === 'symlink' && header.linkname) {
          finding = { kind: 'link', target: posix.resolve(posix.dirname(path), header.linkname) }
        } else if (header.type === 'link' && header.linkname) {
          finding = { kind: 'link', target: normalize(header.linkname) }
        } else {
          finding = { kind: 'unsure' }
        }
        break
      }
      const parentNotDir = parents.has(name) && header.type !== 'directory'
      const hidden =
        name === whiteout ||
        [...parents].some(
          (dir) =>
            name === `${posix.dirname(dir)}/.wh.${posix.basename(dir)}`.replace(/^\/\//, '/') ||
            name === `${dir}/.wh..wh..opq`,
        ) ||
        name === '/.wh..wh..opq'
      if (parentNotDir || hidden) {
        finding = { kind: 'unsure' }
        break
      }
      entry.resume()
    }
  } finally {
    tar.destroy()
    stream.destroy()
  }
  return finding
}

/**
 * The first bytes of a file of an image, read from its layer blobs (newest layer first),
 * without creating a container. Undefined when this cannot tell for certain (the file is not
 * found, a whiteout or a parent symlink is in the way, a layer is compressed with zstd, the
 * layers are large): the caller then asks the engine.
 */
export async function fileHeadFromLayers(
  layers: readonly Layer[],
  path: string,
  bytes = 512,
): Promise<Buffer | undefined> {
  if (layers.reduce((n, l) => n + l.size, 0) > MAX_LAYER_BYTES) return undefined
  if (!layers.every((l) => GZIP.test(l.mediaType) || PLAIN.test(l.mediaType))) return undefined
  let wanted = normalize(path)
  for (let hops = 0; hops < 8; hops++) {
    let finding: Finding
    for (const layer of [...layers].reverse()) {
      finding = await scanLayer(await layer.open(), GZIP.test(layer.mediaType), wanted, bytes)
      if (finding) break
    }
    if (finding?.kind === 'file') return finding.head
    if (finding?.kind !== 'link') return undefined
    wanted = finding.target
  }
  return undefined
}

/** The content of the first regular file in a tar stream (as `docker cp … -` writes it). */
export function firstFileInTar(tar: Buffer): Buffer | undefined {
  let offset = 0
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) return undefined
    const sizeField = header.subarray(124, 136).toString('latin1').replace(/\0/g, '').trim()
    const size = parseInt(sizeField || '0', 8)
    const type = String.fromCharCode(header[156] ?? 0)
    const start = offset + 512
    if (type === '0' || type === '\0') return tar.subarray(start, start + size)
    // Skip PAX headers, links and folders: their content (if any) is padded to 512 bytes.
    offset = start + Math.ceil(size / 512) * 512
  }
  return undefined
}

/** The files of an OCI image layout tar (as docker save writes it), and nothing else. */
const LAYOUT_ENTRY = /^(blobs\/sha256\/[0-9a-f]{64}|index\.json|oci-layout)$/

/** Unpacks the OCI image layout that `docker save` wrote, streaming each blob to disk. */
export async function unpackLayout(tarFile: string, dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  const tar = extract()
  const source = createReadStream(tarFile)
  source.on('error', (error) => {
    tar.destroy(error)
  })
  source.pipe(tar)
  for await (const entry of tar) {
    const name = posix.normalize(entry.header.name)
    if (entry.header.type === 'file' && LAYOUT_ENTRY.test(name)) {
      await pipeline(entry, createWriteStream(join(dir, name)))
    } else entry.resume()
  }
}
