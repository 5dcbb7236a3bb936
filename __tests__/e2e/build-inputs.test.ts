import { jest } from '@jest/globals'
import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { getManifest, listTags } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REGISTRY, requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
})

interface Descriptor {
  digest: string
  annotations?: Record<string, string>
}
interface Manifest {
  manifests?: Descriptor[]
  config?: Descriptor
  layers?: Descriptor[]
  annotations?: Record<string, string>
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex')

async function blob(path: string, digest: string): Promise<Buffer> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/blobs/${digest}`)
  if (!response.ok) throw new Error(`GET blob ${digest}: ${response.status}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  // Layers are gzip: their files are searched, not their compressed bytes.
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes
}

/** Every manifest and blob under an index: platform images, attestations, configs, layers. */
async function everything(path: string, digest: string): Promise<{ what: string; text: string }[]> {
  const found: { what: string; text: string }[] = []
  const visit = async (reference: string): Promise<void> => {
    const manifest = (await getManifest(path, reference)) as Manifest
    found.push({ what: `manifest ${reference}`, text: JSON.stringify(manifest) })
    for (const child of manifest.manifests ?? []) await visit(child.digest)
    for (const b of [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])])
      found.push({
        what: `blob ${b.digest}`,
        text: (await blob(path, b.digest)).toString('latin1'),
      })
  }
  await visit(digest)
  return found
}

describe("build-push-action's build inputs on the real stack", () => {
  test('a build secret reaches a RUN step on both platforms and is found nowhere: log, summary, outputs, manifests, configs, layers, attestations', async () => {
    const token = 'tok-3f9a c1=%&" end'
    const key = '-----BEGIN KEY-----\nline-two\n-----END KEY-----'
    const fromEnv = 'env-secret-77aa'
    // The Dockerfile holds only the secrets' hashes: it may land in the provenance.
    const check = (id: string, value: string): string =>
      `RUN --mount=type=secret,id=${id},required=true ["/bin/busybox","sh","-c","test $(/bin/busybox md5sum < /run/secrets/${id} | /bin/busybox cut -c1-32) = ${md5(value)}"]`
    const w = await releaseWorld('build-secret', {
      Dockerfile: [
        'FROM scratch',
        'ARG TARGETARCH',
        'COPY bin/busybox-${TARGETARCH} /bin/busybox',
        check('token', token),
        check('key', key),
        check('fromenv', fromEnv),
        'ENTRYPOINT ["/bin/busybox"]',
      ].join('\n'),
    })
    worlds.push(w)
    const run = await w.run(
      {
        version: '1.0.0',
        'smoke-run': 'true',
        provenance: 'mode=max',
        secrets: `token=${token}\n"key=${key}"`,
        'secret-envs': 'fromenv=MY_BUILD_SECRET',
      },
      {
        env: { MY_BUILD_SECRET: fromEnv },
        // runAction fails the test if any of them shows in the log, the outputs or the summary.
        secrets: [token, key, ...key.split('\n'), fromEnv],
      },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    // The argv names ids only.
    expect(run.stdout).toContain('--secret id=token,env=MULTIARCH_RELEASE_SECRET_0')
    expect(run.stdout).toContain('--secret id=fromenv,env=MY_BUILD_SECRET')

    const all = await everything(w.image.path, run.outputs.digest ?? '')
    // The index, two platform images and their attestations, each with a config and layers.
    expect(all.filter((a) => a.what.startsWith('manifest')).length).toBeGreaterThanOrEqual(5)
    expect(all.some((a) => a.text.includes('https://slsa.dev/provenance'))).toBe(true)
    for (const secret of [token, fromEnv, ...key.split('\n')]) {
      expect(all.filter((a) => a.text.includes(secret)).map((a) => a.what)).toEqual([])
    }
  })

  test("metadata-action's outputs and an image with capitals: released under the lowercase name, the release's version kept", async () => {
    const w = await releaseWorld('meta-inputs')
    worlds.push(w)
    const given = w.image.name.replace(/meta-inputs/, 'Meta-Inputs')
    const run = await w.run({
      image: given,
      version: '1.0.0',
      'smoke-run': 'true',
      tags: `${w.image.name}:edge\n${w.image.name}:1.0.0\n${w.image.name}:latest`,
      labels:
        'org.opencontainers.image.version=main\norg.opencontainers.image.description=Demo app',
      annotations:
        'manifest:org.opencontainers.image.version=main\nindex:org.opencontainers.image.description=Demo app\nindex:org.opencontainers.image.title=Demo',
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain(`::notice::Input 'image': ${given} is released as ${w.image.name}`)
    expect(run.stdout).toMatch(/::notice::Input 'tags': 1.0.0, latest are the release's own/)
    expect(await listTags(w.image.path)).toEqual(
      expect.arrayContaining(['1', '1.0', '1.0.0', 'edge', 'latest']),
    )
    const index = (await getManifest(w.image.path, run.outputs.digest ?? '')) as Manifest
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.description': 'Demo app',
      'org.opencontainers.image.title': 'Demo',
    })
    const [amd64] = index.manifests ?? []
    const image = (await getManifest(w.image.path, amd64?.digest ?? '')) as Manifest
    expect(image.annotations?.['org.opencontainers.image.version']).toBe('1.0.0')
    expect(image.annotations?.['org.opencontainers.image.title']).toBeUndefined()
    const config = JSON.parse(
      (await blob(w.image.path, image.config?.digest ?? '')).toString('utf8'),
    ) as { config: { Labels: Record<string, string> } }
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.description': 'Demo app',
    })
  })
})
