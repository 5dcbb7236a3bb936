import { jest } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { docker, dockerEnv, engineStack, type EngineStack } from '../support/engine-stack.js'
import { getManifest, resolveDigest } from '../support/registry-http.js'
import { releaseWorld } from '../support/release-world.js'
import { REGISTRY, requireStack } from '../support/stack.js'

// The release's OCI archive, loaded by every image store the stacks have (d26 and d28c: the
// containerd store reads index.json; d28: the classic store reads manifest.json), read by an
// OCI tool apart from Docker (skopeo) and copied back into a registry.
jest.setTimeout(300_000)

interface Layout {
  manifests: { digest: string; annotations?: Record<string, string> }[]
}
interface DockerEntry {
  Config: string
  RepoTags: string[]
  Layers: string[]
}

let file: string
let digest: string
let ref: string
let imagePath: string
const cleanups: (() => void)[] = []

beforeAll(async () => {
  await requireStack()
  const w = await releaseWorld('oci-archive')
  try {
    const run = await w.run({ version: '5.0.0', 'release-oci-archives': 'true' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    digest = run.outputs.digest ?? ''
    ref = `${w.image.name}:5.0.0`
    imagePath = w.image.path
    const [release] = w.github.releases('acme', 'app')
    const assets = w.github.assets(release?.id ?? 0)
    const name = `${w.image.path.split('/').pop() ?? ''}-5.0.0.oci.tar`
    const archive = assets.find((a) => a.name === name)
    expect(archive).toBeDefined()
    const bytes = archive?.bytes ?? Buffer.alloc(0)
    const sums = assets.find((a) => a.name === 'SHA256SUMS')?.bytes.toString() ?? ''
    expect(sums).toContain(`${createHash('sha256').update(bytes).digest('hex')}  ${name}`)
    file = join(mkdtempSync(join(tmpdir(), 'oci-archive-')), name)
    writeFileSync(file, bytes)
  } finally {
    await w.github.close()
  }
})
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const member = (name: string): string =>
  execFileSync('tar', ['-xOf', file, name], { encoding: 'utf8' })

test('the archive is an OCI layout of the promoted index with both platforms, and a Docker manifest.json beside it', () => {
  const layout = JSON.parse(member('index.json')) as Layout
  expect(layout.manifests.map((m) => m.digest)).toEqual([digest])
  expect(layout.manifests[0]?.annotations).toMatchObject({
    'org.opencontainers.image.ref.name': '5.0.0',
    'io.containerd.image.name': ref,
  })
  const index = JSON.parse(member(`blobs/sha256/${digest.slice(7)}`)) as {
    manifests: { digest: string; platform?: { os: string; architecture: string } }[]
  }
  const platforms = index.manifests.filter((m) => m.platform?.os !== 'unknown')
  expect(
    platforms.map((m) => `${m.platform?.os ?? ''}/${m.platform?.architecture ?? ''}`).sort(),
  ).toEqual(['linux/amd64', 'linux/arm64'])
  // manifest.json: one entry per platform (never an attestation), each config and layer in the tar
  const entries = JSON.parse(member('manifest.json')) as DockerEntry[]
  const listed = new Set(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n'))
  const configs = platforms.map((m) => {
    const manifest = JSON.parse(member(`blobs/sha256/${m.digest.slice(7)}`)) as {
      config: { digest: string }
    }
    return `blobs/sha256/${manifest.config.digest.slice(7)}`
  })
  expect(entries.map((e) => e.Config).sort()).toEqual([...configs].sort())
  for (const entry of entries) {
    expect(entry.RepoTags).toEqual([ref])
    for (const path of [entry.Config, ...entry.Layers]) expect(listed.has(path)).toBe(true)
  }
})

/** Removes what a test loaded into an engine: the tag, then (if nothing else holds it) the images. */
function forget(stack: EngineStack, ...images: string[]): void {
  for (const image of images) {
    spawnSync('docker', ['image', 'rm', image], { env: dockerEnv({}, stack), stdio: 'ignore' })
  }
}

const arch = (stack: EngineStack, image: string): string =>
  docker(['image', 'inspect', image, '--format', '{{.Architecture}}'], { stack }).trim()

const runs = (stack: EngineStack, image: string, platform?: string): string =>
  docker(
    [
      'run',
      '--rm',
      '--pull',
      'never',
      ...(platform ? ['--platform', platform] : []),
      image,
      'uname',
      '-m',
    ],
    { stack },
  ).trim()

test.each([['d26'], ['d28c']] as const)(
  'docker load on %s (containerd image store) gives the whole index under the tag; both platforms run',
  (name) => {
    const stack = engineStack(name)
    forget(stack, ref)
    cleanups.push(() => {
      forget(stack, ref)
    })
    const loaded = docker(['load', '--input', file], { stack })
    expect(loaded).toContain(`Loaded image: ${ref}`)
    // the containerd store names the index itself: the image ID is the promoted digest
    expect(docker(['image', 'inspect', ref, '--format', '{{.Id}}'], { stack }).trim()).toBe(digest)
    expect(runs(stack, ref)).toBe('x86_64')
    expect(runs(stack, ref, 'linux/arm64')).toBe('aarch64')
  },
)

test('docker load on d28 (classic image store) reads manifest.json: the tag on linux/amd64, and --platform linux/arm64 loads that one', () => {
  const stack = engineStack('d28')
  forget(stack, ref)
  const entries = JSON.parse(member('manifest.json')) as DockerEntry[]
  const ids = entries.map((e) => `sha256:${e.Config.slice('blobs/sha256/'.length)}`)
  cleanups.push(() => {
    forget(stack, ref, ...ids)
  })
  const loaded = docker(['load', '--input', file], { stack })
  expect(loaded).toContain(`Loaded image: ${ref}`)
  expect(arch(stack, ref)).toBe('amd64')
  expect(runs(stack, ref)).toBe('x86_64')

  docker(['load', '--platform', 'linux/arm64', '--input', file], { stack })
  expect(arch(stack, ref)).toBe('arm64')
  expect(runs(stack, ref, 'linux/arm64')).toBe('aarch64')
})

test('skopeo reads the archive as an OCI layout and copies it into a registry with the same digest and platforms', async () => {
  const inspect = JSON.parse(
    execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${file}:5.0.0`], { encoding: 'utf8' }),
  ) as { manifests: unknown[] }
  expect(inspect.manifests.length).toBeGreaterThanOrEqual(2)
  const back = `${imagePath}-copied`
  execFileSync(
    'skopeo',
    [
      'copy',
      '--all',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci-archive:${file}:5.0.0`,
      `docker://${REGISTRY}/${back}:5.0.0`,
    ],
    { stdio: 'pipe' },
  )
  expect(await resolveDigest(back, '5.0.0')).toBe(digest)
  const index = (await getManifest(back, digest)) as {
    manifests: { digest: string; platform?: { os: string; architecture: string } }[]
  }
  for (const child of index.manifests)
    expect(await resolveDigest(back, child.digest)).toBe(child.digest)
  // and an engine pulls and runs it from there
  const stack = engineStack('d28c')
  const pulled = `${REGISTRY}/${back}:5.0.0`
  cleanups.push(() => {
    forget(stack, pulled)
  })
  docker(['pull', '--platform', 'linux/arm64', pulled], { stack })
  expect(runs(stack, pulled, 'linux/arm64')).toBe('aarch64')
})
