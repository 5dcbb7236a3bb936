import { jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import type { ActionRunOptions } from '../support/action-run.js'
import { freshDockerConfig } from '../support/engine-stack.js'
import { authRegistry } from '../support/fixtures.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REGISTRY, requireStack } from '../support/stack.js'

jest.setTimeout(600_000)

/**
 * Leave nothing behind: on each kind of registry users have, the repository holds the final
 * tags and nothing else after a release, after a failed publish and its re-run, and after
 * build-platform jobs and their release job. No candidate tag, no marker tag, no delete needed.
 */
interface Target {
  readonly host: string
  /** The action's inputs and environment to push there. */
  readonly inputs: Record<string, string>
  readonly options: () => Partial<ActionRunOptions>
  /** The repository's tag list, read over the registry API. */
  readonly tags: (path: string) => string[]
}

/** GET /v2/<path>/tags/list with curl: [] for a repository that does not exist. */
function curlTags(url: string, args: readonly string[] = []): string[] {
  const out = execFileSync('curl', ['-sS', '-m', '20', '-w', '\n%{http_code}', ...args, url], {
    encoding: 'utf8',
  })
  const status = out.slice(out.lastIndexOf('\n') + 1)
  if (status === '404') return []
  if (status !== '200') throw new Error(`GET ${url}: ${status} ${out}`)
  const body = JSON.parse(out.slice(0, out.lastIndexOf('\n'))) as { tags: string[] | null }
  return [...(body.tags ?? [])].sort()
}

const plain = (host: string): Target => ({
  host,
  inputs: {},
  options: () => ({}),
  tags: (path) => curlTags(`http://${host}/v2/${path}/tags/list`),
})

const TARGETS: [string, () => Target][] = [
  ['distribution 2.8 with deletes enabled (a DELETE by tag is refused)', () => plain(REGISTRY)],
  ['a registry with deletes disabled (405 UNSUPPORTED, as GHCR)', () => plain('127.0.0.1:5002')],
  [
    'the authenticated TLS registry',
    () => {
      const auth = authRegistry()
      return {
        host: auth.host,
        inputs: { 'registry-username': auth.user, 'registry-password': auth.password },
        options: () => ({
          env: {
            DOCKER_CONFIG: freshDockerConfig(),
            NODE_EXTRA_CA_CERTS: auth.ca,
          },
          secrets: [auth.password],
        }),
        tags: (path) =>
          curlTags(`https://${auth.host}/v2/${path}/tags/list`, [
            '--cacert',
            auth.ca,
            '-u',
            `${auth.user}:${auth.password}`,
          ]),
      }
    },
  ],
]

const FINAL = ['1', '1.0', '1.0.0', 'latest']

beforeAll(requireStack)

describe.each(TARGETS)('%s', (_name, target) => {
  let registry: Target
  const worlds: ReleaseWorld[] = []
  beforeAll(() => {
    registry = target()
  })
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.github.close()
  })

  async function world(
    label: string,
  ): Promise<{ w: ReleaseWorld; options: () => Partial<ActionRunOptions> }> {
    const path = `e2e/${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const w = await releaseWorld(label, {}, { name: `${registry.host}/${path}`, path })
    worlds.push(w)
    // One Docker config per world: the runs of one job share it, as steps of a job do.
    const options = registry.options()
    return { w, options: () => options }
  }
  /** Refs of the GitHub repository outside branches and tags (the verified record lives there). */
  const records = (w: ReleaseWorld): string[] =>
    Object.keys(w.github.refs('acme', 'app')).filter((r) =>
      r.startsWith('refs/multiarch-release/verified/'),
    )

  test('after a release the tag list is exactly the final tags', async () => {
    const { w, options } = await world('left-release')
    const run = await w.run(
      { ...registry.inputs, version: '1.0.0', 'smoke-run': 'true' },
      options(),
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(registry.tags(w.image.path)).toEqual(FINAL)
    expect(records(w)).toEqual([])
    expect(w.github.releases('acme', 'app').map((r) => [r.tag_name, r.draft])).toEqual([
      ['v1.0.0', false],
    ])
  })

  test('after a failed publish and its re-run, the same; the re-run promoted the verified digest without rebuilding', async () => {
    const { w, options } = await world('left-rerun')
    w.github.fail({ method: 'PATCH', route: 'repos/update-release', status: 503, times: Infinity })
    const first = await w.run(
      { ...registry.inputs, version: '1.0.0', 'smoke-run': 'true' },
      options(),
    )
    expect(first.exitCode).toBe(1)
    expect(first.errors.join('\n')).toMatch(/Step 'publish' failed/)
    // What a re-run needs is kept outside the tag list: the record of the verified digest.
    expect(registry.tags(w.image.path)).toEqual(FINAL)
    expect(records(w)).toHaveLength(1)

    w.github.clearFaults()
    const rerun = await w.run(
      { ...registry.inputs, version: '1.0.0', 'smoke-run': 'true' },
      { ...options(), runAttempt: '2' },
    )
    expect(rerun.errors).toEqual([])
    expect(rerun.exitCode).toBe(0)
    expect(rerun.summary).toMatch(
      /\| build \| skipped: the digest of this commit was already verified/,
    )
    expect(rerun.outputs.digest).toBe(first.outputs.digest)
    expect(registry.tags(w.image.path)).toEqual(FINAL)
    expect(records(w)).toEqual([])
    expect(w.github.releases('acme', 'app').map((r) => [r.tag_name, r.draft])).toEqual([
      ['v1.0.0', false],
    ])
  })

  test('after build-platform jobs and their release job, the same', async () => {
    const { w, options } = await world('left-native')
    const digests: string[] = []
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const job = await w.run(
        { ...registry.inputs, mode: 'build-platform', platforms: platform, version: '1.0.0' },
        options(),
      )
      expect(job.errors).toEqual([])
      expect(job.exitCode).toBe(0)
      digests.push(`${platform}=${job.outputs.digest ?? ''}`)
    }
    // The platform images are untagged until the release job promotes their index.
    expect(registry.tags(w.image.path)).toEqual([])
    const release = await w.run(
      { ...registry.inputs, version: '1.0.0', 'platform-digests': digests.join('\n') },
      options(),
    )
    expect(release.errors).toEqual([])
    expect(release.exitCode).toBe(0)
    expect(registry.tags(w.image.path)).toEqual(FINAL)
    expect(records(w)).toEqual([])
  })
})
