import { jest } from '@jest/globals'
import { getManifest, listTags, resolveDigest } from '../support/registry-http.js'
import { releaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

interface Index {
  manifests: { digest: string; platform?: { os: string; architecture: string } }[]
  annotations?: Record<string, string>
}

test('two build-platform runs (amd64, arm64) and one release run give one two-platform index under the final tags and a published Release', async () => {
  const w = await releaseWorld('native')
  try {
    const digests: string[] = []
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const run = await w.run({
        mode: 'build-platform',
        platforms: platform,
        version: '1.4.0',
        'smoke-run': 'uname -m',
      })
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toMatch(new RegExp(`${platform}: run uname -m: ok`))
      expect(run.outputs.published).toBe('false')
      digests.push(`${platform}=${run.outputs.digest ?? ''}`)
    }
    // Nothing final and no Release before the release job.
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.releases('acme', 'app')).toEqual([])

    const release = await w.run({ version: '1.4.0', 'platform-digests': digests.join('\n') })
    expect(release.errors).toEqual([])
    expect(release.exitCode).toBe(0)
    expect(release.stdout).toMatch(/Assembled .* from 2 platform image\(s\)/)
    expect(release.summary).toMatch(/\| smoke \| skipped: each platform was smoke-tested natively/)
    const digest = release.outputs.digest ?? ''
    for (const tag of ['1.4.0', '1.4', '1', 'latest'])
      expect(await resolveDigest(w.image.path, tag)).toBe(digest)
    const index = (await getManifest(w.image.path, digest)) as unknown as Index
    const platforms = index.manifests
      .map((m) => `${m.platform?.os ?? ''}/${m.platform?.architecture ?? ''}`)
      .filter((p) => p !== 'unknown/unknown')
      .sort()
    expect(platforms).toEqual(['linux/amd64', 'linux/arm64'])
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.version': '1.4.0',
      'org.opencontainers.image.revision': w.repo.sha,
    })
    const [published] = w.github.releases('acme', 'app')
    expect(published).toMatchObject({ tag_name: 'v1.4.0', draft: false })
  } finally {
    await w.github.close()
  }
})

test('build-platform refuses more than one platform before any side effect', async () => {
  const w = await releaseWorld('native-two')
  try {
    const run = await w.run({ mode: 'build-platform', platforms: 'linux/amd64,linux/arm64' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Input 'platforms': .*mode build-platform builds exactly one platform/,
    )
    expect(w.github.requests).toEqual([])
  } finally {
    await w.github.close()
  }
})

test('a build-platform run without attestations pushes a plain manifest and checks it', async () => {
  const w = await releaseWorld('native-plain')
  try {
    const run = await w.run({
      mode: 'build-platform',
      platforms: 'linux/arm64',
      version: '1.0.0',
      provenance: 'false',
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const manifest = (await getManifest(w.image.path, run.outputs.digest ?? '')) as {
      mediaType?: string
    }
    // A single image manifest (OCI or Docker's own media type), not an index.
    expect(manifest.mediaType).toMatch(/manifest\.v[12]\+json$/)
    expect(manifest.mediaType).not.toMatch(/index|list/)
  } finally {
    await w.github.close()
  }
})
