import { jest } from '@jest/globals'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../support/action-run.js'
import { dockerCalls } from '../support/docker-fault.js'
import { docker } from '../support/engine-stack.js'
import { createFixtureRepo } from '../support/fixture-repo.js'
import { getManifest, listTags, resolveDigest } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack, uniqueImage } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
})

interface IndexJson {
  manifests: {
    digest: string
    platform?: { os: string; architecture: string }
    annotations?: Record<string, string>
  }[]
  annotations?: Record<string, string>
}

/** Every blob an image in the registry names: its index, manifests, configs and layers. */
async function blobsOfImage(path: string, digest: string): Promise<string[]> {
  const blobs = new Set<string>([digest])
  const index = (await getManifest(path, digest)) as { manifests?: { digest: string }[] }
  for (const { digest: child } of index.manifests ?? []) {
    blobs.add(child)
    const manifest = (await getManifest(path, child)) as {
      config: { digest: string }
      layers: { digest: string }[]
    }
    blobs.add(manifest.config.digest)
    for (const layer of manifest.layers) blobs.add(layer.digest)
  }
  return [...blobs].sort()
}

describe('build and push on the real stack', () => {
  test("the docker driver's OCI layout stays on the runner between releases, holding exactly the blobs of the last push; the next release exports into it", async () => {
    // Two repositories released one after the other on one runner (one tool cache).
    const toolCache = mkdtempSync(join(tmpdir(), 'tool-cache-'))
    const layouts = join(toolCache, 'multiarch-release', 'oci-layouts')
    const kept = (): string[] => {
      const [folder, ...more] = readdirSync(layouts)
      expect(more).toEqual([])
      return readdirSync(join(layouts, folder ?? '', 'blobs', 'sha256'))
        .map((hex) => `sha256:${hex}`)
        .sort()
    }
    const releases: { image: string; digest: string }[] = []
    const first = await releaseWorld('layout')
    worlds.push(first)
    // The next commit of the same repository, released next on the same runner.
    const next = await releaseWorld('layout', { 'NEWS.md': 'next\n' }, first.image, first.github)
    for (const [w, version] of [
      [first, '1.0.0'],
      [next, '1.0.1'],
    ] as const) {
      const run = await w.run({ version }, { env: { RUNNER_TOOL_CACHE: toolCache } })
      expect(run.errors).toEqual([])
      expect(run.outputs.digest).toBeDefined()
      releases.push({ image: w.image.path, digest: run.outputs.digest ?? '' })
      expect(kept()).toEqual(await blobsOfImage(w.image.path, run.outputs.digest ?? ''))
      expect(run.stdout.includes('Exporting into the OCI layout kept')).toBe(w === next)
    }
    // The second release pushed its own image (another revision), not the first one's.
    expect(releases[1]?.digest).not.toBe(releases[0]?.digest)
    rmSync(toolCache, { recursive: true, force: true })
  })

  test('a two-platform release pushes one index holding linux/amd64 and linux/arm64, labelled', async () => {
    const w = await releaseWorld('two-platform')
    worlds.push(w)
    const { repo, image } = w
    const run = await w.run({ version: 'v1.2.3', 'smoke-run': 'true' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.version).toBe('1.2.3')
    expect(run.outputs.platforms).toBe('linux/amd64,linux/arm64')
    expect(run.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)

    // The registry itself: the final tags and nothing else, one digest.
    const tags = await listTags(image.path)
    expect(tags.sort()).toEqual(['1', '1.2', '1.2.3', 'latest'])
    for (const tag of tags) expect(await resolveDigest(image.path, tag)).toBe(run.outputs.digest)
    const inspect = docker(
      ['buildx', 'imagetools', 'inspect', `${image.name}@${run.outputs.digest}`],
      { encoding: 'utf8' },
    )
    expect(inspect).toContain('Platform:    linux/amd64')
    expect(inspect).toContain('Platform:    linux/arm64')

    const index = (await getManifest(image.path, run.outputs.digest ?? '')) as unknown as IndexJson
    const platforms = index.manifests
      .filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
      .map((m) => `${m.platform?.os ?? ''}/${m.platform?.architecture ?? ''}`)
      .sort()
    expect(platforms).toEqual(['linux/amd64', 'linux/arm64'])
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': repo.sha,
      'org.opencontainers.image.source': `${w.github.serverUrl}/acme/app`,
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
      'org.opencontainers.image.title': 'app',
    })
    const configs = JSON.parse(
      docker(
        [
          'buildx',
          'imagetools',
          'inspect',
          `${image.name}@${run.outputs.digest}`,
          '--format',
          '{{json .Image}}',
        ],
        { encoding: 'utf8' },
      ),
    ) as Record<string, { architecture: string; config: { Labels: Record<string, string> } }>
    expect(Object.keys(configs).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    for (const [platform, config] of Object.entries(configs)) {
      expect(config.architecture).toBe(platform.split('/')[1])
      expect(config.config.Labels['org.opencontainers.image.version']).toBe('1.2.3')
      expect(config.config.Labels['org.opencontainers.image.revision']).toBe(repo.sha)
    }
    expect(run.summary).toContain('| linux/arm64 | `sha256:')
    expect(run.summary).toContain('| assert-manifest | done |')
    expect(run.summary).toContain('| publish | done |')
  })

  test('a build that fails on arm64 only fails the run, names linux/arm64, and writes no final tag', async () => {
    const files = {
      Dockerfile: [
        'FROM scratch',
        'ARG TARGETARCH',
        'COPY bin/busybox-${TARGETARCH} /bin/busybox',
        // Succeeds on amd64, fails under arm64 emulation.
        'RUN ["/bin/busybox", "sh", "-c", "test \\"$(/bin/busybox uname -m)\\" != aarch64"]',
        'ENTRYPOINT ["/bin/busybox"]',
        '',
      ].join('\n'),
    }
    const w = await releaseWorld('arm64-fails', files)
    worlds.push(w)
    const { image } = w
    const run = await w.run({ version: '1.0.0' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Step 'build' failed: the build failed for linux\/arm64/)
    expect(run.errors.join('\n')).toMatch(/Visible to users: nothing/)
    expect(await listTags(image.path)).toEqual([])
    expect(w.github.releases('acme', 'app')).toEqual([])
    expect(run.outputs.published).toBe('false')
    expect(run.summary).toContain('| build | ')
  })

  test('the same commit built twice, provenance off, gives one digest: nothing run-specific goes into the image', async () => {
    const first = await releaseWorld('reproducible-a')
    worlds.push(first)
    // One server URL for both, as both builds come from one repository on one GitHub.
    const server = { env: { GITHUB_SERVER_URL: 'https://github.example.test' } }
    const a = await first.run({ version: '1.0.0', provenance: 'false' }, server)
    expect(a.exitCode).toBe(0)
    // Another repository and a later time: nothing is reused but the build cache.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const second = await releaseWorld('reproducible-b')
    worlds.push(second)
    const b = await second.run({ version: '1.0.0', provenance: 'false' }, server)
    expect(b.exitCode).toBe(0)
    expect(b.outputs.digest).toBe(a.outputs.digest)
    const index = (await getManifest(
      second.image.path,
      b.outputs.digest ?? '',
    )) as unknown as IndexJson
    expect(index.manifests.map((m) => m.platform?.architecture).sort()).toEqual(['amd64', 'arm64'])
  })

  test('on a pull request every platform is built and nothing is pushed', async () => {
    const repo = createFixtureRepo()
    const image = uniqueImage('pull-request')
    const run = await runAction({
      workspace: repo.dir,
      sha: repo.sha,
      eventName: 'pull_request',
      ref: 'refs/pull/7/merge',
      payload: { number: 7, pull_request: { number: 7 } },
      inputs: { image: image.name },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('[linux/arm64 ')
    expect(run.stdout).toContain('[linux/amd64 ')
    expect(await listTags(image.path)).toEqual([])
    expect(run.outputs.published).toBe('false')
    expect(run.outputs.digest).toBe('')
  })
})

describe('invalid inputs fail before any side effect', () => {
  // A docker and a buildx plugin in front of the real ones that record every call.
  const recorder = dockerCalls()

  test.each<[string, Record<string, string>, RegExp[]]>([
    [
      'an unknown platform',
      { platforms: 'linux/amd64,linux/amd65' },
      [/Input 'platforms': "linux\/amd65" is not valid; architecture 'amd65' is unknown/],
    ],
    [
      'an image with a tag',
      { image: '127.0.0.1:5000/e2e/app:1.0' },
      [/Input 'image': .* it holds a tag/],
    ],
    [
      'an image that stays invalid after lowercasing',
      { image: '127.0.0.1:5000/e2e/-MyApp' },
      [/Input 'image': .*'-myapp' is not a valid repository path component \(after lowercasing\)/],
    ],
    [
      'a malformed version',
      { version: '1.2' },
      [/Input 'version': "1.2" is not valid; '1.2' is not a semantic version/],
    ],
    [
      'an unknown mode',
      { mode: 'deploy' },
      [/Input 'mode': "deploy" is not valid; unknown mode; use one of auto, build, release/],
    ],
    [
      'a missing Dockerfile',
      { file: 'nope/Dockerfile' },
      [/Input 'file': "nope\/Dockerfile" is not valid; the Dockerfile does not exist/],
    ],
    ['several at once', { platforms: 'arm64', mode: 'x' }, [/Input 'mode'/, /Input 'platforms'/]],
  ])('%s', async (_name, inputs, messages) => {
    const repo = createFixtureRepo()
    const image = uniqueImage('invalid')
    const run = await runAction({
      workspace: repo.dir,
      sha: repo.sha,
      inputs: { image: image.name, version: '1.0.0', mode: 'release', ...inputs },
      env: recorder.env,
    })
    expect(run.exitCode).toBe(1)
    for (const message of messages) expect(run.errors.join('\n')).toMatch(message)
    expect(recorder.calls()).toEqual([])
    expect(await listTags(image.path)).toEqual([])
  })

  test('the shim records calls when the inputs are valid (so the check above can fail)', async () => {
    const repo = createFixtureRepo()
    const run = await runAction({
      workspace: repo.dir,
      sha: repo.sha,
      eventName: 'pull_request',
      inputs: { image: uniqueImage('shim').name, platforms: 'linux/amd64' },
      env: recorder.env,
    })
    expect(run.exitCode).toBe(0)
    expect(recorder.calls()).toContainEqual(expect.stringMatching(/^buildx build /))
  })
})
