import { jest } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { STACK, fleetBuilds } from '../support/engine-stack.js'
import { listTags, resolveDigest } from '../support/registry-http.js'
import { makeLatestSent, releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    expect(world.github.violations).toEqual([])
    await world.github.close()
  }
})

async function world(
  label: string,
  files: Record<string, string> = {},
  image?: Parameters<typeof releaseWorld>[2],
): Promise<ReleaseWorld> {
  const w = await releaseWorld(label, files, image)
  worlds.push(w)
  return w
}

const SMOKE = {
  'smoke-run': 'true\necho hello',
  'smoke-http': '8080/health',
  'smoke-http-expect': 'ok',
}

function addAsset(w: ReleaseWorld, name: string, content: string): string {
  mkdirSync(join(w.repo.dir, 'out'), { recursive: true })
  writeFileSync(join(w.repo.dir, 'out', name), content)
  return createHash('sha256').update(content).digest('hex')
}

/** Every tag of the image's repository: only final tags ever exist there. */
const finalTags = (w: ReleaseWorld): Promise<string[]> => listTags(w.image.path)

const releases = (w: ReleaseWorld) => w.github.releases('acme', 'app')

describe('a release on the real stack', () => {
  test('two platforms with smoke-run and smoke-http: version tag and latest on one digest, a published Release with assets and SHA256SUMS', async () => {
    const w = await world('full')
    const sum = addAsset(w, 'app-cli.txt', 'the cli\n')
    const run = await w.run({ ...SMOKE, version: '1.0.0', 'release-assets': 'out/*.txt' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    // on the engine and builder of the stack this run selected (MULTIARCH_STACK); on the fleet,
    // each platform on its own node
    if (STACK.name === 'fleet') {
      expect(fleetBuilds(w.image.name)).toEqual({
        'fleet-amd64': 'linux/amd64',
        'fleet-arm64': 'linux/arm64',
      })
    }
    expect(run.stdout).toMatch(
      new RegExp(
        `Docker engine ${STACK.engineMajor}\\..*builder '[^']+' \\(${STACK.driver} driver\\)`,
      ),
    )

    const digest = run.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await resolveDigest(w.image.path, '1.0.0')).toBe(digest)
    expect(await resolveDigest(w.image.path, 'latest')).toBe(digest)
    expect(run.outputs.tags?.split('\n')).toEqual(
      ['1.0.0', '1.0', '1', 'latest'].map((t) => `${w.image.name}:${t}`),
    )
    expect(run.outputs.published).toBe('true')

    const [release, ...others] = releases(w)
    expect(others).toEqual([])
    expect(release).toMatchObject({ tag_name: 'v1.0.0', draft: false, prerelease: false })
    expect(run.outputs['release-url']).toBe(release?.html_url)
    expect(run.outputs['release-id']).toBe(String(release?.id))
    expect(w.github.tags('acme', 'app')['v1.0.0']).toBe(w.repo.sha)
    expect(release?.body).toContain(`| Digest | \`${digest}\` |`)
    expect(release?.body).toContain(`docker pull ${w.image.name}:1.0.0`)
    const assets = w.github.assets(release?.id ?? 0)
    expect(assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', 'app-cli.txt'])
    expect(assets.find((a) => a.name === 'SHA256SUMS')?.bytes.toString()).toBe(
      `${sum}  app-cli.txt\n`,
    )
    expect(w.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.0.0')

    for (const platform of ['linux/amd64', 'linux/arm64']) {
      expect(run.stdout).toMatch(new RegExp(`${platform}: architecture: ok`))
      expect(run.stdout).toMatch(new RegExp(`${platform}: run echo hello: ok`))
      expect(run.stdout).toMatch(new RegExp(`${platform}: http 8080/health: ok`))
      expect(run.summary).toMatch(new RegExp(`\\| ${platform} \\| .* \\| passed: `))
    }
  })

  test.each<[string, Record<string, string>, Record<string, string>, RegExp]>([
    [
      'a command that fails under arm64',
      {},
      { 'smoke-run': 'sh -c "test $(uname -m) != aarch64"' },
      /linux\/arm64: run sh -c test \$\(uname -m\) != aarch64: exit 1/,
    ],
    [
      'a health probe that never answers on arm64',
      {
        Dockerfile:
          'FROM scratch\nARG TARGETARCH\nCOPY bin/busybox-${TARGETARCH} /bin/busybox\nCOPY www/ /www/\nENTRYPOINT ["/bin/busybox"]\nCMD ["sh", "-c", "if [ $(uname -m) = aarch64 ]; then exec sleep 600; fi; exec httpd -f -p 8080 -h /www"]\n',
      },
      { 'smoke-http': '8080/health', 'smoke-timeout': '60,linux/arm64=6' },
      /linux\/arm64: http 8080\/health: timed out waiting for any 2xx answer/,
    ],
    [
      'a container that exits early on arm64',
      {
        Dockerfile:
          'FROM scratch\nARG TARGETARCH\nCOPY bin/busybox-${TARGETARCH} /bin/busybox\nCOPY www/ /www/\nENTRYPOINT ["/bin/busybox"]\nCMD ["sh", "-c", "if [ $(uname -m) = aarch64 ]; then echo no config >&2; exit 3; fi; exec httpd -f -p 8080 -h /www"]\n',
      },
      { 'smoke-http': '8080/health' },
      /linux\/arm64: http 8080\/health: the container exited \(code 3\) before answering; its log: no config/,
    ],
    [
      'an arm64 entry holding an amd64 binary',
      {
        Dockerfile:
          'FROM scratch\nCOPY bin/busybox-amd64 /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n',
      },
      { 'smoke-run': 'true' },
      /linux\/arm64: architecture: \/bin\/busybox is built for amd64, not arm64/,
    ],
  ])(
    'smoke failing on arm64 only (%s): no final tag, no Release, the error names linux/arm64 and the check',
    async (label, files, inputs, message) => {
      const w = await world(`smoke-${label.split(' ').slice(1, 3).join('-')}`, files)
      const run = await w.run({ ...inputs, version: '1.0.0' })
      expect(run.exitCode).toBe(1)
      const error = run.errors.join('\n')
      expect(error).toMatch(/Step 'smoke' failed: smoke test failed on linux\/arm64/)
      expect(error).toMatch(message)
      expect(error).not.toMatch(/failed on linux\/amd64/)
      expect(error).toMatch(/Visible to users: untagged manifests only/)
      expect(await finalTags(w)).toEqual([])
      expect(releases(w)).toEqual([])
      expect(run.outputs.published).toBe('false')
    },
  )
})

describe('a re-run', () => {
  test('a re-run after a complete release changes nothing and reports the release', async () => {
    const w = await world('rerun-done')
    const first = await w.run({ version: '1.0.0' })
    expect(first.exitCode).toBe(0)
    w.github.clearRequests()
    const again = await w.run({ version: '1.0.0' }, { runAttempt: '2' })
    expect(again.errors).toEqual([])
    expect(again.exitCode).toBe(0)
    expect(again.outputs).toMatchObject({
      published: 'true',
      digest: first.outputs.digest,
      'release-id': first.outputs['release-id'],
    })
    expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
    expect(releases(w)).toHaveLength(1)
  })
})

describe('versions are immutable and floating tags never go backwards', () => {
  test('an existing version tag from another commit stops the run before the build', async () => {
    const first = await world('immutable')
    expect((await first.run({ version: '1.0.0' })).exitCode).toBe(0)
    const second = await releaseWorld('immutable', { 'www/health': 'changed\n' }, first.image)
    worlds.push(second)
    const run = await second.run({ version: '1.0.0' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Step 'plan' failed: .*:1.0.0 already exists with digest sha256:[0-9a-f]+, built from commit [0-9a-f]{12}, not [0-9a-f]{12}; version tags are immutable/,
    )
    expect(run.stdout).not.toContain('buildx build')
    expect((await listTags(second.image.path)).sort()).toEqual(['1', '1.0', '1.0.0', 'latest'])
    expect(releases(second)).toEqual([])
  })

  test("re-releasing an older version moves neither latest nor GitHub's Latest", async () => {
    const newer = await world('older')
    const v110 = await newer.run({ version: '1.1.0' })
    expect(v110.exitCode).toBe(0)
    // Another commit of the same repository, released after 1.1.0 as 1.0.5.
    const older = await releaseWorld(
      'older',
      { 'www/health': 'older\n' },
      newer.image,
      newer.github,
    )
    const v105 = await older.run({ version: '1.0.5' })
    expect(v105.errors).toEqual([])
    expect(v105.exitCode).toBe(0)
    expect(await resolveDigest(newer.image.path, 'latest')).toBe(v110.outputs.digest)
    expect(await resolveDigest(newer.image.path, '1.0.5')).toBe(v105.outputs.digest)
    expect(v105.outputs.digest).not.toBe(v110.outputs.digest)
    expect(v105.outputs.tags).toBe(`${newer.image.name}:1.0.5\n${newer.image.name}:1.0`)
    expect(await resolveDigest(newer.image.path, '1')).toBe(v110.outputs.digest)
    expect(v105.stdout).toMatch(
      /:latest stays where it is: it shows 1\.1\.0, which is newer than 1\.0\.5/,
    )
    const published = releases(older)
      .filter((r) => !r.draft)
      .map((r) => r.tag_name)
    expect(published.sort()).toEqual(['v1.0.5', 'v1.1.0'])
    expect(older.github.latestRelease('acme', 'app')?.tag_name).toBe('v1.1.0')
    expect(makeLatestSent(older.github)).toEqual(['true', 'false'])
  })
})
