import { jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STACK, docker } from '../support/engine-stack.js'
import { getManifest, listTags } from '../support/registry-http.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
})
async function world(label: string): Promise<ReleaseWorld> {
  const w = await releaseWorld(label)
  worlds.push(w)
  return w
}

/** A cosign key pair, as `cosign generate-key-pair` makes it. */
function keyPair(password: string): { key: string; pub: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cosign-'))
  execFileSync('cosign', ['generate-key-pair'], {
    cwd: dir,
    env: { ...process.env, COSIGN_PASSWORD: password },
    stdio: 'pipe',
  })
  return { key: readFileSync(join(dir, 'cosign.key'), 'utf8'), pub: join(dir, 'cosign.pub'), dir }
}

const cosignVerify = (pub: string, ref: string): void => {
  execFileSync(
    'cosign',
    ['verify', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', ref],
    { stdio: 'pipe' },
  )
}

describe('signing with a key', () => {
  test('cosign verify succeeds for every final tag; the key and its password never appear', async () => {
    const w = await world('signed')
    const password = 'correct horse battery staple'
    const { key, pub } = keyPair(password)
    const run = await w.run(
      {
        version: '1.0.0',
        sign: 'key',
        'cosign-key': key,
        'cosign-password': password,
        'cosign-tlog-upload': 'false',
      },
      { secrets: [password, key.split('\n')[1] ?? key] },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.summary).toContain('| sign | done |')
    for (const tag of ['1.0.0', '1.0', '1', 'latest']) cosignVerify(pub, `${w.image.name}:${tag}`)
  })

  test('a failed signing (wrong key password) leaves no final tag and no published Release', async () => {
    const w = await world('signed-wrong')
    const { key } = keyPair('the real password')
    const run = await w.run(
      {
        version: '1.0.0',
        sign: 'key',
        'cosign-key': key,
        'cosign-password': 'a wrong one',
        'cosign-tlog-upload': 'false',
      },
      { secrets: ['a wrong one'] },
    )
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Step 'sign' failed: cosign cannot read cosign-key/)
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.releases('acme', 'app').filter((r) => !r.draft)).toEqual([])
  })
})

describe('attestations', () => {
  test.each<[string, string, number]>([
    ['provenance off: only platform manifests', 'false', 0],
    [
      'provenance on: the assertion passes and the summary lists the attestations apart',
      'mode=max',
      2,
    ],
    // What most workflows do: buildx adds provenance (mode=min) on every stack tested here.
    ["provenance left to buildx's default: one attestation per platform, counted apart", '', 2],
  ])('%s', async (_name, provenance, attestations) => {
    const w = await world(`provenance-${provenance.replace(/\W/g, '') || 'default'}`)
    const run = await w.run({ version: '1.0.0', ...(provenance === '' ? {} : { provenance }) })
    expect(run.exitCode).toBe(0)
    expect(run.errors).toEqual([])
    const index = (await getManifest(w.image.path, run.outputs.digest ?? '')) as {
      manifests: { platform?: { os: string } }[]
    }
    expect(index.manifests.filter((m) => m.platform?.os === 'unknown')).toHaveLength(attestations)
    expect(index.manifests.filter((m) => m.platform?.os === 'linux')).toHaveLength(2)
    expect(run.summary).toContain(
      `attestations: ${attestations} (provenance/SBOM manifests, not platforms)`,
    )
  })
})

describe('registry cache', () => {
  test('with cache: registry, a build on a cold machine reuses the cache a release wrote (every step cached), and a pull request never writes it', async () => {
    // Two commits whose build contexts are the same (the note is in .dockerignore).
    const first = await releaseWorld('cache', { '.dockerignore': 'NOTES.md\n' })
    worlds.push(first)
    const wrote = await first.run({ version: '1.0.0', cache: 'registry' })
    expect(wrote.exitCode).toBe(0)
    expect(await listTags(first.image.path)).toContain('buildcache')
    // A cold builder, as on a fresh runner: only the registry cache is left.
    docker(['buildx', 'prune', '--all', '--force'], { stdio: 'pipe' })
    const next = await releaseWorld(
      'cache',
      { '.dockerignore': 'NOTES.md\n', 'NOTES.md': 'a note\n' },
      first.image,
      first.github,
    )
    const pr = await next.run(
      { cache: 'registry' },
      { eventName: 'pull_request', payload: { number: 3 } },
    )
    expect(pr.exitCode).toBe(0)
    expect(pr.stdout).toContain('importing cache manifest from')
    expect(pr.stdout).not.toContain('exporting cache to')
    docker(['buildx', 'prune', '--all', '--force'], { stdio: 'pipe' })
    const release = await next.run({ version: '1.0.1', cache: 'registry' })
    expect(release.errors).toEqual([])
    const cached = /build cache: (\d+) of (\d+) steps cached/.exec(release.summary)
    expect(cached).not.toBeNull()
    expect(Number(cached?.[2])).toBeGreaterThan(0)
    const warning =
      /::warning::.*has 2 nodes, and buildx writes the registry cache of one node only/
    if (STACK.name === 'fleet') {
      // docker/buildx#1044: each node exports to the same reference and the last one wins; the
      // action says so, and the platforms of that node still come from the cache.
      expect(wrote.stdout).toMatch(warning)
      expect(Number(cached?.[1])).toBeGreaterThan(0)
    } else {
      expect(wrote.stdout).not.toMatch(warning)
      expect(cached?.[1]).toBe(cached?.[2])
    }
  })
})
