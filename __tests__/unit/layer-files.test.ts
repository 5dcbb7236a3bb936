import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'
import { MAX_LAYER_BYTES, fileHeadFromLayers, type Layer } from '../../src/ports/layer-files.js'

type Entry =
  | { name: string; file: string }
  | { name: string; symlink: string }
  | { name: string; hardlink: string }
  | { name: string; dir: true }

/** A layer blob as a registry serves it: a tar of the entries, gzipped unless said otherwise. */
async function layer(
  entries: Entry[],
  mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip',
): Promise<Layer & { opened: () => number }> {
  const tar = pack()
  for (const e of entries) {
    if ('file' in e) tar.entry({ name: e.name }, e.file)
    else if ('symlink' in e) tar.entry({ name: e.name, type: 'symlink', linkname: e.symlink })
    else if ('hardlink' in e) tar.entry({ name: e.name, type: 'link', linkname: e.hardlink })
    else tar.entry({ name: e.name, type: 'directory' })
  }
  tar.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of tar) chunks.push(chunk as Buffer)
  const raw = Buffer.concat(chunks)
  const blob = mediaType.endsWith('gzip') ? gzipSync(raw) : raw
  let opened = 0
  return {
    mediaType,
    size: blob.length,
    open: () => {
      opened++
      return Promise.resolve(Readable.from([blob]))
    },
    opened: () => opened,
  }
}

const ELF = '\x7fELF-arm64-binary'

describe('the first bytes of a file, read from the layers without a container', () => {
  test.each<[string, () => Promise<Layer[]>, string, string | undefined]>([
    [
      'a file in the only layer',
      async () => [
        await layer([
          { name: 'bin/', dir: true },
          { name: 'bin/busybox', file: ELF },
        ]),
      ],
      '/bin/busybox',
      ELF,
    ],
    [
      'an entry written ./bin/app',
      async () => [await layer([{ name: './bin/app', file: ELF }])],
      '/bin/app',
      ELF,
    ],
    [
      'the newest layer wins',
      async () => [
        await layer([{ name: 'bin/app', file: 'old' }]),
        await layer([{ name: 'bin/app', file: ELF }]),
      ],
      '/bin/app',
      ELF,
    ],
    [
      'a file of a lower layer, the newer one not touching it',
      async () => [
        await layer([{ name: 'bin/app', file: ELF }]),
        await layer([{ name: 'www/index.html', file: 'hi' }]),
      ],
      '/bin/app',
      ELF,
    ],
    [
      'a relative symlink is followed',
      async () => [
        await layer([
          { name: 'opt/app/bin/app', file: ELF },
          { name: 'usr/bin/app', symlink: '../../opt/app/bin/app' },
        ]),
      ],
      '/usr/bin/app',
      ELF,
    ],
    [
      'an absolute symlink in a newer layer is followed into an older one',
      async () => [
        await layer([{ name: 'opt/app', file: ELF }]),
        await layer([{ name: 'usr/bin/app', symlink: '/opt/app' }]),
      ],
      '/usr/bin/app',
      ELF,
    ],
    [
      'a hard link is followed',
      async () => [
        await layer([
          { name: 'bin/busybox', file: ELF },
          { name: 'bin/sh', hardlink: 'bin/busybox' },
        ]),
      ],
      '/bin/sh',
      ELF,
    ],
    [
      'a file deleted by a whiteout in a newer layer: the engine decides',
      async () => [
        await layer([{ name: 'bin/app', file: ELF }]),
        await layer([{ name: 'bin/.wh.app', file: '' }]),
      ],
      '/bin/app',
      undefined,
    ],
    [
      'a directory made opaque in a newer layer: the engine decides',
      async () => [
        await layer([{ name: 'bin/app', file: ELF }]),
        await layer([{ name: 'bin/.wh..wh..opq', file: '' }]),
      ],
      '/bin/app',
      undefined,
    ],
    [
      'a parent that is a symlink (a merged /usr): the engine decides',
      async () => [
        await layer([{ name: 'usr/bin/sh', file: ELF }]),
        await layer([{ name: 'bin', symlink: 'usr/bin' }]),
      ],
      '/bin/sh',
      undefined,
    ],
    [
      'a file that is not there',
      async () => [await layer([{ name: 'bin/other', file: ELF }])],
      '/bin/app',
      undefined,
    ],
    [
      'an uncompressed layer',
      async () => [
        await layer([{ name: 'bin/app', file: ELF }], 'application/vnd.oci.image.layer.v1.tar'),
      ],
      '/bin/app',
      ELF,
    ],
    [
      'a zstd layer: the engine decides',
      async () => [
        await layer(
          [{ name: 'bin/app', file: ELF }],
          'application/vnd.oci.image.layer.v1.tar+zstd',
        ),
      ],
      '/bin/app',
      undefined,
    ],
    [
      'a symlink loop: the engine decides',
      async () => [
        await layer([
          { name: 'bin/a', symlink: 'b' },
          { name: 'bin/b', symlink: 'a' },
        ]),
      ],
      '/bin/a',
      undefined,
    ],
  ])('%s', async (_name, layers, path, expected) => {
    const head = await fileHeadFromLayers(await layers(), path)
    expect(head?.toString('latin1')).toBe(expected)
  })

  test('only the first bytes are kept', async () => {
    const big = `\x7fELF${'x'.repeat(10_000)}`
    const head = await fileHeadFromLayers([await layer([{ name: 'app', file: big }])], '/app', 64)
    expect(head?.length).toBe(64)
    expect(head?.subarray(0, 4).toString('latin1')).toBe('\x7fELF')
  })

  test('large images are left to the engine without reading a byte', async () => {
    const small = await layer([{ name: 'bin/app', file: ELF }])
    const large = { ...small, size: MAX_LAYER_BYTES + 1 }
    expect(await fileHeadFromLayers([large], '/bin/app')).toBeUndefined()
    expect(small.opened()).toBe(0)
  })

  test('the newest layer holding the file is the last one read', async () => {
    const older = await layer([{ name: 'bin/app', file: 'old' }])
    const newer = await layer([{ name: 'bin/app', file: ELF }])
    await fileHeadFromLayers([older, newer], '/bin/app')
    expect([older.opened(), newer.opened()]).toEqual([0, 1])
  })
})
