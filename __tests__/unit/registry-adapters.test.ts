import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { extract } from 'tar-stream'
import { StepFailure } from '../../src/model/errors.js'
import { parseImageRepository, type ImageRepository } from '../../src/model/image-ref.js'
import { HttpUnavailable } from '../../src/ports/registry/errors.js'
import type { Registry } from '../../src/ports/registry.js'
import { HttpRegistry } from '../../src/ports/registry/http.js'
import { RoutedRegistry } from '../../src/ports/registry/routed.js'
import {
  RegistryServer,
  digestOf,
  seedIndex,
  type SeededImage,
} from '../support/registry-server.js'

const FAST = { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 }

let server: RegistryServer
let seeded: SeededImage
let name: string
let image: ImageRepository
beforeEach(async () => {
  server = await RegistryServer.start({ tagDeletion: true })
  seeded = await seedIndex(server, 'acme/app', '1.0', { 'org.opencontainers.image.version': '1.0' })
  name = `${server.host}/acme/app`
  image = parseImageRepository(name) as ImageRepository
})
afterEach(() => server.close())

const http = (): HttpRegistry => new HttpRegistry(undefined, FAST)
const at = (digest: string | undefined): string => `${name}@${digest ?? ''}`

describe('HttpRegistry reads', () => {
  test('a manifest: its exact bytes, their digest and its media type', async () => {
    const manifest = await http().manifest(`${name}:1.0`)
    expect(manifest?.digest).toBe(seeded.index)
    expect(digestOf(Buffer.from(manifest?.raw ?? ''))).toBe(seeded.index)
    expect(manifest?.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(manifest?.json.annotations).toEqual({ 'org.opencontainers.image.version': '1.0' })
  })

  test('a missing tag is undefined; when it was just written, it is asked for again first', async () => {
    expect(await http().manifest(`${name}:nope`)).toBeUndefined()
    expect(server.requests).toHaveLength(1)
    expect(await http().manifest(`${name}:nope`, { expectPresent: true })).toBeUndefined()
    expect(server.requests).toHaveLength(1 + 3)
  })

  test('the media type a manifest does not declare is the one it was served as', async () => {
    const digest = server.putManifest('acme/app', { schemaVersion: 2, layers: [] })
    server.putManifest('acme/app', { schemaVersion: 2, layers: [] }, 'bare')
    const manifest = await http().manifest(`${name}:bare`)
    expect(manifest?.digest).toBe(digest)
    expect(manifest?.mediaType).toBe('')
  })

  test('the image config of one platform', async () => {
    const config = await http().imageConfig(at(seeded.platforms.arm64))
    expect(config).toMatchObject({
      os: 'linux',
      architecture: 'arm64',
      entrypoint: ['/bin/app'],
      cmd: ['serve'],
      env: ['PATH=/bin'],
    })
  })

  test.each([
    ['a manifest that is not there', `sha256:${'1'.repeat(64)}`, /failed: no manifest/],
    ['a manifest without config (an index)', 'index', /names no image config/],
  ])('the image config of %s fails', async (_name, digest, message) => {
    const ref = at(digest === 'index' ? seeded.index : digest)
    await expect(http().imageConfig(ref)).rejects.toThrow(message)
  })

  test('the image configs of an index: one per platform, attestations left out', async () => {
    const configs = await http().indexConfigs(at(seeded.index))
    expect([...configs.keys()]).toEqual(['linux/amd64', 'linux/arm64'])
    expect(configs.get('linux/arm64')?.architecture).toBe('arm64')
  })

  test.each([
    ['not an index', 'platform', /is not an index/],
    ['missing', 'missing', /failed: no manifest/],
    ['an index whose platform manifest is gone', 'broken', /does not resolve/],
  ])('the image configs of %s fail', async (_name, which, message) => {
    const broken = server.putManifest('acme/app', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'2'.repeat(64)}`,
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    })
    const digest = {
      platform: seeded.platforms.amd64,
      missing: `sha256:${'3'.repeat(64)}`,
      broken,
    }[which]
    await expect(http().indexConfigs(at(digest))).rejects.toThrow(message)
  })

  test("a file's first bytes, read from the layers of its platform", async () => {
    const head = await http().fileHead(at(seeded.platforms.arm64), '/bin/app')
    expect(head?.toString()).toBe('binary for arm64\n')
  })

  test.each([
    ['a path not in the image', 'platform', '/bin/nope'],
    ['a manifest that is not there', 'missing', '/bin/app'],
    ['an index (no layers)', 'index', '/bin/app'],
  ])('a file head of %s is left to the engine', async (_name, which, path) => {
    const digest = {
      platform: seeded.platforms.amd64,
      missing: `sha256:${'4'.repeat(64)}`,
      index: seeded.index,
    }[which]
    expect(await http().fileHead(at(digest), path)).toBeUndefined()
  })
})

describe('HttpRegistry writes', () => {
  test('copying a digest to a tag stores the very bytes under the tag', async () => {
    await http().copy(at(seeded.index), `${name}:2.0`)
    expect(server.tagged('acme/app', '2.0')).toBe(seeded.index)
    const put = server.requests.find((r) => r.method === 'PUT')
    expect(put?.path).toBe('/v2/acme/app/manifests/2.0')
  })

  test('copying a digest the registry does not hold writes nothing', async () => {
    await expect(http().copy(at(`sha256:${'5'.repeat(64)}`), `${name}:2.0`)).rejects.toThrow(
      /does not exist in the registry/,
    )
    expect(server.tagged('acme/app', '2.0')).toBeUndefined()
  })

  test('a registry serving other bytes for a digest: nothing is written', async () => {
    const claimed = `sha256:${'6'.repeat(64)}`
    server.putManifest('acme/app', { schemaVersion: 2, mediaType: 'x' }, claimed)
    await expect(http().copy(at(claimed), `${name}:2.0`)).rejects.toThrow(
      /the registry served sha256:[0-9a-f]{64} for .*; nothing was written/,
    )
    expect(server.tagged('acme/app', '2.0')).toBeUndefined()
  })

  test('a refused write names what was written and the status', async () => {
    server.writeStatus = 400
    await expect(http().copy(at(seeded.index), `${name}:2.0`)).rejects.toThrow(
      `writing ${name}:2.0 failed: 400 {"errors":[{"code":"MANIFEST_INVALID"}]}`,
    )
  })

  test('HTTP copies within one repository only', async () => {
    await expect(http().copy(at(seeded.index), `${server.host}/other/app:1`)).rejects.toThrow(
      /different repositories/,
    )
  })
})

/** An OCI image layout on disk, as buildx exports it: two platforms under one index. */
function layoutOf(files: Record<string, Buffer>, index: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'))
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  for (const [digest, bytes] of Object.entries(files))
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes)
  writeFileSync(join(dir, 'index.json'), index)
  return dir
}

function twoPlatformLayout(): { dir: string; index: string; blobs: string[] } {
  const files: Record<string, Buffer> = {}
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const digest = digestOf(bytes)
    files[digest] = bytes
    return { digest, size: bytes.length }
  }
  const children = ['amd64', 'arm64'].map((architecture) => {
    const config = put(Buffer.from(JSON.stringify({ architecture, os: 'linux', config: {} })))
    const layer = put(Buffer.from(`a layer for ${architecture}`))
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
        }),
      ),
    )
    return {
      manifest,
      blobs: [config.digest, layer.digest],
      descriptor: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        platform: { os: 'linux', architecture },
      },
    }
  })
  const index = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: children.map((c) => c.descriptor),
      }),
    ),
  )
  const top = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index }],
  })
  return {
    dir: layoutOf(files, Buffer.from(top)),
    index: index.digest,
    blobs: children.flatMap((c) => c.blobs),
  }
}

describe('HttpRegistry writes by digest, never a tag', () => {
  test('an OCI layout is pushed by digest: every blob once, the manifests children first, no tag', async () => {
    const layout = twoPlatformLayout()
    const pushed = http()
    expect(await pushed.pushLayout(image, layout.dir)).toBe(layout.index)
    for (const blob of layout.blobs) expect(server.blob('acme/app', blob)).toBeDefined()
    const index = await http().manifest(at(layout.index))
    expect(index?.digest).toBe(layout.index)
    const puts = server.requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))
    expect(puts.map((r) => r.path.split('/').pop())).toEqual([
      ...(index?.json.manifests as { digest: string }[]).map((m) => m.digest),
      layout.index,
    ])
    const tags = await (await fetch(`http://${server.host}/v2/acme/app/tags/list`)).json()
    expect(tags).toEqual({ name: 'acme/app', tags: ['1.0'] })
    // Pushed again (a retry, a re-run): the registry holds every blob, none is sent again.
    server.requests.length = 0
    await pushed.pushLayout(image, layout.dir)
    expect(server.requests.filter((r) => r.method === 'POST')).toEqual([])
  })

  test('an image saved without its annotations gets them, under the digest of the new manifest', async () => {
    const layout = twoPlatformLayout()
    // docker save of one platform: the layout holds the image manifest itself, no index.
    const { manifests } = JSON.parse(
      readFileSync(join(layout.dir, 'blobs', 'sha256', layout.index.slice(7)), 'utf8'),
    ) as { manifests: { digest: string; mediaType: string; size: number }[] }
    const [amd64] = manifests
    if (!amd64) throw new Error('no amd64 manifest in the layout')
    writeFileSync(
      join(layout.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [amd64] }),
    )
    const annotations = { 'org.opencontainers.image.version': '2.0' }
    const digest = await http().pushLayout(image, layout.dir, annotations)
    expect(digest).not.toBe(amd64.digest)
    const pushed = await http().manifest(at(digest))
    expect(pushed?.digest).toBe(digest)
    expect(pushed?.json.annotations).toEqual(annotations)
    expect(pushed?.json.layers).toHaveLength(1)
  })

  test("annotations asked for go on the layout's top (its index); said already, nothing changes", async () => {
    const layout = twoPlatformLayout()
    const annotations = { 'org.opencontainers.image.version': '2.0' }
    const digest = await http().pushLayout(image, layout.dir, annotations)
    expect(digest).not.toBe(layout.index)
    const index = await http().manifest(at(digest))
    expect(index?.json.annotations).toEqual(annotations)
    // The platform manifests are the layout's own: only the index changed.
    const original = JSON.parse(
      readFileSync(join(layout.dir, 'blobs', 'sha256', layout.index.slice(7)), 'utf8'),
    ) as { manifests: unknown[] }
    expect(index?.json.manifests).toEqual(original.manifests)
    // A layout whose top already says them is pushed as it is.
    const again = twoPlatformLayout()
    const top = Buffer.from(JSON.stringify({ ...original, annotations }))
    const topDigest = `sha256:${createHash('sha256').update(top).digest('hex')}`
    writeFileSync(join(again.dir, 'blobs', 'sha256', topDigest.slice(7)), top)
    writeFileSync(
      join(again.dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: topDigest,
            size: top.length,
          },
        ],
      }),
    )
    expect(await http().pushLayout(image, again.dir, annotations)).toBe(topDigest)
  })

  test('a layout blob whose bytes are not its digest is refused before anything is sent', async () => {
    const layout = twoPlatformLayout()
    writeFileSync(join(layout.dir, 'blobs', 'sha256', layout.index.slice(7)), 'tampered')
    await expect(http().pushLayout(image, layout.dir)).rejects.toThrow(
      /does not hold its own bytes/,
    )
    expect(server.requests.filter((r) => r.method !== 'GET')).toEqual([])
  })

  test("native runners' images assemble into one index of their platforms, stored by digest, untagged", async () => {
    const index = JSON.parse((await http().manifest(at(seeded.index)))?.raw ?? '{}') as {
      manifests: { digest: string; platform?: { architecture: string } }[]
    }
    const images = ['amd64', 'arm64'].map(
      (a) => index.manifests.find((m) => m.platform?.architecture === a)?.digest ?? '',
    )
    const digest = await http().assemble(image, images, {
      'org.opencontainers.image.version': '3.0',
    })
    const assembled = await http().manifest(at(digest))
    expect(assembled?.digest).toBe(digest)
    expect(assembled?.json.annotations).toEqual({ 'org.opencontainers.image.version': '3.0' })
    expect(
      (assembled?.json.manifests as { digest: string; platform: unknown }[]).map((m) => [
        m.digest,
        m.platform,
      ]),
    ).toEqual([
      [images[0], { os: 'linux', architecture: 'amd64' }],
      [images[1], { os: 'linux', architecture: 'arm64' }],
    ])
    const tags = await (await fetch(`http://${server.host}/v2/acme/app/tags/list`)).json()
    expect(tags).toEqual({ name: 'acme/app', tags: ['1.0'] })
  })
})

describe('HttpRegistry archive', () => {
  async function entries(path: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>()
    const tar = extract()
    createReadStream(path).pipe(tar)
    for await (const entry of tar) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      files.set(entry.header.name, Buffer.concat(chunks))
    }
    return files
  }

  test('an OCI layout of the index with every platform, attestation and blob, digests intact', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'app.oci.tar')
    await http().archive(image, seeded.index, '1.0', path)
    const files = await entries(path)
    expect(JSON.parse(files.get('oci-layout')?.toString() ?? '')).toEqual({
      imageLayoutVersion: '1.0.0',
    })
    const layout = JSON.parse(files.get('index.json')?.toString() ?? '') as {
      manifests: { digest: string; size: number; annotations: Record<string, string> }[]
    }
    expect(layout.manifests).toHaveLength(1)
    expect(layout.manifests[0]).toMatchObject({
      digest: seeded.index,
      annotations: {
        'org.opencontainers.image.ref.name': '1.0',
        'io.containerd.image.name': `${name}:1.0`,
      },
    })
    const blobs = [...files].filter(([n]) => n.startsWith('blobs/sha256/'))
    // index + 2 platforms (manifest, config, layer) + attestation (manifest, config, layer)
    expect(blobs).toHaveLength(1 + 2 * 3 + 3)
    for (const [entry, bytes] of blobs) expect(digestOf(bytes)).toBe(`sha256:${entry.slice(13)}`)
    expect(layout.manifests[0]?.size).toBe(
      files.get(`blobs/sha256/${seeded.index.slice(7)}`)?.length,
    )
  })

  test("Docker's manifest.json: one entry per platform tagged name:tag, no attestation, linux/amd64 last, every path in the archive", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'app.oci.tar')
    await http().archive(image, seeded.index, '1.0', path)
    const files = await entries(path)
    const docker = JSON.parse(files.get('manifest.json')?.toString() ?? '') as {
      Config: string
      RepoTags: string[]
      Layers: string[]
    }[]
    const configOf = (arch: string): unknown => {
      const manifest = JSON.parse(
        files.get(`blobs/sha256/${seeded.platforms[arch]?.slice(7) ?? ''}`)?.toString() ?? '',
      ) as { config: { digest: string }; layers: { digest: string }[] }
      return {
        Config: `blobs/sha256/${manifest.config.digest.slice(7)}`,
        RepoTags: [`${name}:1.0`],
        Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      }
    }
    // seeded in the order amd64, arm64: the plain classic-store load keeps the tag on the last
    expect(docker).toEqual([configOf('arm64'), configOf('amd64')])
    for (const entry of docker) {
      for (const file of [entry.Config, ...entry.Layers]) expect(files.has(file)).toBe(true)
    }
  })

  test('a single image (one platform, no attestation) is archived with its config, layers and one manifest.json entry', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'app.oci.tar')
    const single = seeded.platforms.arm64 ?? ''
    await http().archive(image, single, '1.0', path)
    const files = await entries(path)
    const manifest = JSON.parse(files.get(`blobs/sha256/${single.slice(7)}`)?.toString() ?? '') as {
      config: { digest: string }
      layers: { digest: string }[]
    }
    const blobs = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]
    for (const blob of blobs) expect(files.has(`blobs/sha256/${blob.slice(7)}`)).toBe(true)
    expect(JSON.parse(files.get('manifest.json')?.toString() ?? '')).toEqual([
      {
        Config: `blobs/sha256/${manifest.config.digest.slice(7)}`,
        RepoTags: [`${name}:1.0`],
        Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ])
  })

  test('a registry serving other bytes for a digest: the archive fails, naming both', async () => {
    const claimed = `sha256:${'7'.repeat(64)}`
    server.putManifest('acme/app', { schemaVersion: 2, manifests: [] }, claimed)
    const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'app.oci.tar')
    await expect(http().archive(image, claimed, '1.0', path)).rejects.toThrow(
      new RegExp(`the registry served sha256:[0-9a-f]{64} for ${claimed}`),
    )
  })

  test('a blob that is gone fails the archive, naming it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'app.oci.tar')
    const manifest = JSON.parse((await http().manifest(at(seeded.platforms.amd64)))?.raw ?? '') as {
      layers: { digest: string }[]
    }
    const layer = manifest.layers[0]?.digest ?? ''
    server.deleteBlob('acme/app', layer)
    await expect(http().archive(image, seeded.index, '1.0', path)).rejects.toThrow(
      `reading the blob ${name}@${layer} failed: 404`,
    )
  })
})

describe('RoutedRegistry', () => {
  /** An adapter whose every method records its name and answers `answer` (or throws it). */
  function adapter(calls: string[], answer: (method: string) => unknown): Required<Registry> {
    return new Proxy({} as Required<Registry>, {
      get: (_target, method: string) => (): Promise<unknown> => {
        calls.push(method)
        const value = answer(method)
        return value instanceof Error ? Promise.reject(value) : Promise.resolve(value)
      },
    })
  }
  const ref = '127.0.0.1:5000/acme/app:1.0'
  const digestRef = `127.0.0.1:5000/acme/app@sha256:${'a'.repeat(64)}`
  const repo = parseImageRepository('127.0.0.1:5000/acme/app') as ImageRepository

  test('HttpUnavailable sends the registry to imagetools for good; other registries stay on HTTP', async () => {
    const httpCalls: string[] = []
    const imagetoolsCalls: string[] = []
    const debug: string[] = []
    const routed = new RoutedRegistry(
      adapter(httpCalls, () => new HttpUnavailable('no way')),
      adapter(imagetoolsCalls, () => undefined),
      (m) => debug.push(m),
    )
    await routed.manifest(ref)
    await routed.imageConfig(digestRef)
    await routed.indexConfigs(digestRef)
    await routed.copy(digestRef, ref)
    expect(httpCalls).toEqual(['manifest'])
    expect(imagetoolsCalls).toEqual(['manifest', 'imageConfig', 'indexConfigs', 'copy'])
    expect(debug).toEqual(['127.0.0.1:5000: using docker buildx imagetools (no way)'])
    expect(await routed.fileHead(digestRef, '/bin/app')).toBeUndefined()
    await routed.manifest('localhost:5001/acme/app:1')
    expect(httpCalls).toEqual(['manifest', 'manifest'])
  })

  test('any other failure is the failure: no fallback', async () => {
    const imagetoolsCalls: string[] = []
    const routed = new RoutedRegistry(
      adapter([], () => new StepFailure('refused')),
      adapter(imagetoolsCalls, () => undefined),
    )
    await expect(routed.manifest(ref)).rejects.toThrow('refused')
    expect(imagetoolsCalls).toEqual([])
  })

  test('imagetools copies into another repository; HTTP does the rest', async () => {
    const httpCalls: string[] = []
    const imagetoolsCalls: string[] = []
    const routed = new RoutedRegistry(
      adapter(httpCalls, () => undefined),
      adapter(imagetoolsCalls, () => undefined),
    )
    await routed.assemble(repo, ['sha256:1'], {})
    await routed.pushLayout(repo, '/tmp/layout')
    await routed.copy(digestRef, '127.0.0.1:5000/other/app:1.0')
    await routed.copy(digestRef, ref)
    await routed.archive(repo, 'sha256:x', '1.0', '/tmp/x')
    await routed.fileHead(digestRef, '/bin/app')
    await routed.imageConfig(digestRef)
    await routed.indexConfigs(digestRef)
    expect(imagetoolsCalls).toEqual(['copy'])
    expect(httpCalls).toEqual([
      'assemble',
      'pushLayout',
      'copy',
      'archive',
      'fileHead',
      'imageConfig',
      'indexConfigs',
    ])
  })

  test('a registry HTTP cannot reach cannot take an untagged candidate: the step is told what to do', async () => {
    const routed = new RoutedRegistry(
      adapter([], () => new HttpUnavailable('a CA only the engine trusts')),
      adapter([], () => undefined),
    )
    const failure = await routed.pushLayout(repo, '/tmp/layout').catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toMatch(
      /127\.0\.0\.1:5000 cannot be written to over its HTTP API from here \(a CA only the engine trusts\)/,
    )
    expect((failure as StepFailure).remedy).toMatch(/docker\/setup-buildx-action/)
  })
})
