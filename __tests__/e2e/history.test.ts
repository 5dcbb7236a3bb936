import { jest } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun } from '../support/action-run.js'
import { fakeSha, type GitHubStandIn } from '../support/github-standin/index.js'
import { getManifest, listTags, resolveDigest } from '../support/registry-http.js'
import { startRegistryProxy, type RegistryProxy } from '../support/registry-proxy.js'
import { makeLatestSent, releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REGISTRY, REPO_ROOT, requireStack, uniqueImage } from '../support/stack.js'
import { pushExampleImage } from '../support/fixtures.js'

jest.setTimeout(300_000)

beforeAll(requireStack)

/** Each case that held, for docs/reliability.md (npm run test:faults). */
const report: { point: string; checked: string }[] = []
const held = (checked: string): void => {
  report.push({ point: expect.getState().currentTestName ?? '', checked })
}
afterAll(() => {
  mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true })
  writeFileSync(join(REPO_ROOT, 'tmp', 'history-report.json'), JSON.stringify(report, null, 2))
})

const standIns = new Set<GitHubStandIn>()
const proxies: RegistryProxy[] = []
afterEach(async () => {
  for (const github of standIns) {
    expect(github.violations).toEqual([])
    await github.close()
  }
  standIns.clear()
  for (const proxy of proxies.splice(0)) await proxy.close()
})

async function world(
  label: string,
  files: Record<string, string> = {},
  image?: Parameters<typeof releaseWorld>[2],
  shared?: GitHubStandIn,
): Promise<ReleaseWorld> {
  const w = await releaseWorld(label, files, image, shared)
  standIns.add(w.github)
  return w
}

const VERSION = 'org.opencontainers.image.version'
const FINAL = ['1', '1.5', 'latest']

/** The image config of one platform of an index in the loopback registry. */
async function platformConfig(
  path: string,
  reference: string,
  architecture = 'amd64',
): Promise<{ config: { Labels?: Record<string, string> }; history?: { created_by?: string }[] }> {
  const index = (await getManifest(path, reference)) as {
    manifests: { digest: string; platform?: { architecture?: string } }[]
  }
  const child = index.manifests.find((m) => m.platform?.architecture === architecture)
  const manifest = (await getManifest(path, child?.digest ?? '')) as {
    config: { digest: string }
  }
  const blob = await fetch(`http://${REGISTRY}/v2/${path}/blobs/${manifest.config.digest}`)
  return (await blob.json()) as Awaited<ReturnType<typeof platformConfig>>
}

/**
 * What another tool leaves: the example image pushed under the given tags with only the OCI
 * version label (no annotation), as docker/build-push-action does by default.
 */
const pushedByAnotherTool = (image: string, version: string, tags: readonly string[]): string =>
  pushExampleImage(
    tags.map((t) => `${image}:${t}`),
    { provenance: false, labels: version === '' ? {} : { [VERSION]: version } },
  )

/** v1.5.0 released from another commit: its git tag and its published Release (Latest). */
function released150(github: GitHubStandIn): void {
  const commit = fakeSha('v1.5.0 commit')
  github.seedCommits('acme', 'app', [{ sha: commit, date: '2026-01-01T00:00:00Z' }])
  github.setTag('acme', 'app', 'v1.5.0', commit)
  github.seedRelease('acme', 'app', { tag_name: 'v1.5.0', make_latest: 'true' })
}

const latestTag = (github: GitHubStandIn): string | undefined =>
  github.latestRelease('acme', 'app')?.tag_name

describe('build identity: a digest is reused only for the very same build', () => {
  test('the same commit released as two versions with different build-args: the second image carries its own label and build-arg', async () => {
    const dockerfile = [
      'FROM scratch',
      'ARG TARGETARCH',
      'ARG APP_VERSION=dev',
      'COPY bin/busybox-${TARGETARCH} /bin/busybox',
      'COPY www/ /www/',
      'RUN ["/bin/busybox", "sh", "-c", "echo $APP_VERSION > /www/version"]',
      'ENTRYPOINT ["/bin/busybox"]',
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      '',
    ].join('\n')
    const w = await world('identity', { Dockerfile: dockerfile })
    // 0.9.0 is verified and promoted, but its publish fails: the record of its verified digest
    // stays, so the 0.9.1 run below finds a verified digest of this commit and must refuse it.
    const verifiedRefs = (): string[] =>
      Object.keys(w.github.refs('acme', 'app')).filter((r) => r.includes('verified'))
    w.github.fail({ method: 'PATCH', route: 'repos/update-release', status: 503, times: Infinity })
    const first = await w.run({
      version: '0.9.0',
      'build-args': 'APP_VERSION=0.9.0',
      'smoke-http': '8080/version',
      'smoke-http-expect': '0.9.0',
    })
    expect(first.exitCode).toBe(1)
    expect(first.errors.join('\n')).toMatch(/Step 'publish' failed/)
    expect(verifiedRefs()).toHaveLength(1)
    w.github.clearFaults()
    // A re-release of the same commit (workflow_dispatch, an rc promoted) with its own build-arg;
    // the probe proves each platform answers with the new build-arg before anything is promoted.
    const second = await w.run(
      {
        version: '0.9.1',
        'build-args': 'APP_VERSION=0.9.1',
        'smoke-http': '8080/version',
        'smoke-http-expect': '0.9.1',
      },
      { runId: '2002' },
    )
    expect(second.errors).toEqual([])
    expect(second.stdout).toMatch(/built from this commit as version 0\.9\.0, not 0\.9\.1/)

    const d090 = await resolveDigest(w.image.path, '0.9.0')
    const d091 = await resolveDigest(w.image.path, '0.9.1')
    expect(d091).toBe(second.outputs.digest)
    expect(d091).not.toBe(d090)
    for (const architecture of ['amd64', 'arm64']) {
      const config = await platformConfig(w.image.path, '0.9.1', architecture)
      expect(config.config.Labels?.[VERSION]).toBe('0.9.1')
      expect(config.history?.map((h) => h.created_by).join('\n')).toContain('APP_VERSION=0.9.1')
    }
    // Published: the record of verified digests is gone, and 0.9.0 stays as it was.
    expect(verifiedRefs()).toEqual([])
    expect((await platformConfig(w.image.path, '0.9.0')).config.Labels?.[VERSION]).toBe('0.9.0')
    held('0.9.1 rebuilt with its own label and build-arg; 0.9.0 unchanged')
  })
})

describe('floating tags and Latest follow the history', () => {
  test('a hotfix of an older line over images that carry only the label leaves 1, 1.5, latest and Latest on 1.5.0', async () => {
    const w = await world('hotfix')
    released150(w.github)
    const old = pushedByAnotherTool(w.image.name, '1.5.0', ['1.5.0', ...FINAL])

    const run = await w.run({ version: '1.4.3', 'smoke-run': 'true' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const digest = run.outputs.digest
    expect(await resolveDigest(w.image.path, '1.4.3')).toBe(digest)
    expect(await resolveDigest(w.image.path, '1.4')).toBe(digest)
    for (const tag of ['1.5.0', ...FINAL]) expect(await resolveDigest(w.image.path, tag)).toBe(old)

    const hotfix = w.github.releases('acme', 'app').find((r) => r.tag_name === 'v1.4.3')
    expect(hotfix).toMatchObject({ draft: false, prerelease: false })
    expect(latestTag(w.github)).toBe('v1.5.0')
    // What the Release request asked for, not only what the stand-in kept.
    expect(makeLatestSent(w.github)).toEqual(['false'])
    held('1.4.3 and 1.4 written; 1.5.0, 1.5, 1, latest and Latest stay; make_latest false')
  })

  test('an image whose version cannot be read is judged by the history: latest stays on the released 1.5.0', async () => {
    const w = await world('unlabelled')
    released150(w.github)
    // Nothing in the image says what it is: only the repository's history does.
    const old = pushedByAnotherTool(w.image.name, '', ['1.5.0', ...FINAL])
    const run = await w.run({ version: '1.4.9' })
    expect(run.errors).toEqual([])
    for (const tag of FINAL) expect(await resolveDigest(w.image.path, tag)).toBe(old)
    expect(latestTag(w.github)).toBe('v1.5.0')
    held('1, 1.5, latest and Latest stay on 1.5.0')
  })
})

describe('branch policy', () => {
  test('a push to a branch that is not a release branch builds every platform, pushes nothing and sets skipped-reason', async () => {
    const w = await world('feature-branch')
    const run = await w.run({}, { ref: 'refs/heads/feature/dashboards' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs['skipped-reason']).toBe(
      "branch 'feature/dashboards' is not a release branch: only the default branch 'main' releases",
    )
    expect(run.outputs.published).toBe('false')
    expect(run.stdout).toMatch(/buildx build .*--platform linux\/amd64,linux\/arm64/)
    expect(await listTags(w.image.path)).toEqual([])
    expect(w.github.releases('acme', 'app')).toEqual([])
    expect(w.github.tags('acme', 'app')).toEqual({})
    expect(w.github.requests.filter((r) => r.method !== 'GET')).toEqual([])
    held('built, nothing pushed, no API write, skipped-reason set')
  })

  test('a maintenance branch releases the next version of its line and never moves 1, latest or Latest', async () => {
    const w = await world('maintenance')
    released150(w.github)
    const previous = fakeSha('v1.4.2 commit')
    w.github.seedCommits('acme', 'app', [{ sha: previous, date: '2025-12-01T00:00:00Z' }])
    w.github.setTag('acme', 'app', 'v1.4.2', previous)
    const old = pushedByAnotherTool(w.image.name, '1.5.0', ['1.5.0', ...FINAL])

    const run = await w.run({ 'release-branches': 'release/*' }, { ref: 'refs/heads/release/1.4' })
    expect(run.errors).toEqual([])
    expect(run.outputs.version).toBe('1.4.3')
    expect(await resolveDigest(w.image.path, '1.4.3')).toBe(run.outputs.digest)
    expect(await resolveDigest(w.image.path, '1.4')).toBe(run.outputs.digest)
    for (const tag of FINAL) expect(await resolveDigest(w.image.path, tag)).toBe(old)
    expect(w.github.tags('acme', 'app')['v1.4.3']).toBe(w.repo.sha)
    expect(latestTag(w.github)).toBe('v1.5.0')

    // A version outside the line is refused before anything is built or pushed.
    const outside = await w.run(
      { 'release-branches': 'release/*', version: '1.5.1' },
      { ref: 'refs/heads/release/1.4', runId: '3003' },
    )
    expect(outside.exitCode).toBe(1)
    expect(outside.errors.join('\n')).toMatch(
      /Step 'plan' failed: version 1\.5\.1 is outside the 1\.4\.x line of the maintenance branch release\/1\.4/,
    )
    expect(await resolveDigest(w.image.path, '1.5.1')).toBeUndefined()
    held('1.4.3 and 1.4 written; 1, latest and Latest stay; 1.5.1 refused')
  })
})

describe('annotated tags', () => {
  test('a pushed annotated version tag releases its commit and becomes Latest', async () => {
    const w = await world('annotated-push')
    const older = fakeSha('v1.0.0 commit')
    w.github.seedCommits('acme', 'app', [{ sha: older, date: '2025-06-01T00:00:00Z' }])
    w.github.setAnnotatedTag('acme', 'app', 'v1.0.0', { sha: older, message: 'Release 1.0.0' })
    w.github.seedRelease('acme', 'app', { tag_name: 'v1.0.0', make_latest: 'true' })
    // git tag -a v1.1.0 on the checked-out commit, pushed: the tag ref holds a tag object.
    const tagObject = w.github.setAnnotatedTag('acme', 'app', 'v1.1.0', {
      sha: w.repo.sha,
      message: 'Release 1.1.0',
    })
    expect(tagObject).not.toBe(w.repo.sha)

    const run = await w.run({}, { ref: 'refs/tags/v1.1.0' })
    expect(run.errors).toEqual([])
    expect(run.outputs.version).toBe('1.1.0')
    // The tag is left as it was pushed: an annotated tag on the released commit.
    expect(w.github.refs('acme', 'app')['refs/tags/v1.1.0']).toBe(tagObject)
    expect(w.github.tags('acme', 'app')['v1.1.0']).toBe(w.repo.sha)
    expect(latestTag(w.github)).toBe('v1.1.0')
    expect(await resolveDigest(w.image.path, 'latest')).toBe(run.outputs.digest)
    held('released at the tagged commit; the tag object left as pushed; Latest')
  })

  test('annotated tags in the history give the next version, and one on another commit keeps its version immutable', async () => {
    const w = await world('annotated-history')
    const older = fakeSha('v2.3.0 commit')
    w.github.seedCommits('acme', 'app', [{ sha: older, date: '2025-06-01T00:00:00Z' }])
    w.github.setAnnotatedTag('acme', 'app', 'v2.3.0', { sha: older, message: 'Release 2.3.0' })
    const next = await w.run({})
    expect(next.errors).toEqual([])
    expect(next.outputs.version).toBe('2.3.1')
    expect(w.github.tags('acme', 'app')['v2.3.1']).toBe(w.repo.sha)

    const taken = await w.run({ version: '2.3.0' }, { runId: '4004' })
    expect(taken.exitCode).toBe(1)
    expect(taken.errors.join('\n')).toMatch(
      /the git tag v2\.3\.0 already points at commit [0-9a-f]{12}, not at [0-9a-f]{12}; released versions are immutable/,
    )
    held('2.3.1 computed over an annotated tag; 2.3.0 refused as taken')
  })
})

/** Two releases of different versions racing, each through its own proxy to one repository. */
interface Race {
  readonly low: ReleaseWorld
  readonly high: ReleaseWorld
  readonly path: string
  readonly proxies: { readonly low: RegistryProxy; readonly high: RegistryProxy }
}

async function race(label: string): Promise<Race> {
  const { path } = uniqueImage(label)
  const lowProxy = await startRegistryProxy()
  const highProxy = await startRegistryProxy()
  proxies.push(lowProxy, highProxy)
  const low = await world(
    `${label}-low`,
    { VERSION: '1.5.0\n' },
    {
      name: `${lowProxy.host}/${path}`,
      path,
    },
  )
  const high = await world(
    `${label}-high`,
    { VERSION: '1.5.1\n' },
    { name: `${highProxy.host}/${path}`, path },
    low.github,
  )
  return { low, high, path, proxies: { low: lowProxy, high: highProxy } }
}

/** A gate a test opens: requests held on it go on once it is opened. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** Waits for a condition the runs bring about, failing clearly instead of hanging. */
async function until(condition: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the runs never reached the interleaving')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Resolves once the stand-in has answered n more reads of the lease ref (a run is waiting). */
async function leaseReads(github: GitHubStandIn, n: number): Promise<void> {
  const count = (): number =>
    github.requests.filter(
      (r) =>
        r.operation === 'git/get-ref' &&
        decodeURIComponent(r.path).endsWith('/git/ref/multiarch-release/lease'),
    ).length
  const start = count()
  const deadline = Date.now() + 120_000
  while (count() < start + n) {
    if (Date.now() > deadline) throw new Error(`no run read the release lease ${n} times`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The promises that must hold after any interleaving: everything on 1.5.1, nobody says otherwise. */
async function higherWins(r: Race, runs: readonly ActionRun[], highDigest: string): Promise<void> {
  for (const tag of FINAL) expect(await resolveDigest(r.path, tag)).toBe(highDigest)
  expect(await resolveDigest(r.path, '1.5.1')).toBe(highDigest)
  expect(latestTag(r.low.github)).toBe('v1.5.1')
  const published = r.low.github.releases('acme', 'app').filter((x) => !x.draft)
  expect(published.map((x) => x.tag_name).sort()).toEqual(['v1.5.0', 'v1.5.1'])
  for (const run of runs) expect(run.exitCode).toBe(0)
  held('every floating tag, 1.5.1 and Latest on 1.5.1; both Releases published; every run exits 0')
}

const INPUTS = { 'smoke-run': 'true' }

describe('two releases of different versions racing end with every floating tag and Latest on the higher one', () => {
  test('the lower version holds the lease while the higher arrives: the higher waits, then moves everything', async () => {
    const r = await race('race-low-first')
    const held = gate()
    let highRun: Promise<ActionRun> | undefined
    r.proxies.low.fail({
      method: 'PUT',
      path: /\/manifests\/1\.5$/,
      hold: held.promise,
      onMatch: () => {
        highRun = r.high.run({ ...INPUTS, version: '1.5.1' }, { runId: '5002' })
      },
    })
    const lowRun = r.low.run({ ...INPUTS, version: '1.5.0' }, { runId: '5001' })
    // The higher run has built, smoke-tested and drafted, and now waits for the lease.
    await until(() => highRun !== undefined)
    if (!highRun) throw new Error('unreachable')
    await leaseReads(r.low.github, 3)
    expect(await resolveDigest(r.path, '1.5.1')).toBeUndefined()
    held.open()
    const [low, high] = await Promise.all([lowRun, highRun])
    expect(high.stdout).toMatch(/Waiting for run 5001 \(releasing 1\.5\.0\) to finish promoting/)
    await higherWins(r, [low, high], high.outputs.digest ?? '')
  })

  test('the higher version holds the lease while the lower arrives: the lower waits, then leaves every floating tag and Latest alone', async () => {
    const r = await race('race-high-first')
    const held = gate()
    let lowRun: Promise<ActionRun> | undefined
    r.proxies.high.fail({
      method: 'PUT',
      path: /\/manifests\/1\.5$/,
      hold: held.promise,
      onMatch: () => {
        lowRun = r.low.run({ ...INPUTS, version: '1.5.0' }, { runId: '6001' })
      },
    })
    const highRun = r.high.run({ ...INPUTS, version: '1.5.1' }, { runId: '6002' })
    await until(() => lowRun !== undefined)
    if (!lowRun) throw new Error('unreachable')
    await leaseReads(r.low.github, 3)
    held.open()
    const [low, high] = await Promise.all([lowRun, highRun])
    expect(low.stdout).toMatch(
      /:latest stays where it is: it shows 1\.5\.1, which is newer than 1\.5\.0/,
    )
    await higherWins(r, [low, high], high.outputs.digest ?? '')
    expect(makeLatestSent(r.low.github)).toEqual(['true', 'false'])
  })

  test('the lower version dies holding the lease mid-promotion: the higher takes it when it expires, and the re-run moves nothing back', async () => {
    const r = await race('race-kill')
    let lowChild: ChildProcess | undefined
    let highRun: Promise<ActionRun> | undefined
    r.proxies.low.fail({
      method: 'PUT',
      path: /\/manifests\/1\.5$/,
      hold: new Promise(() => undefined),
      onMatch: () => {
        // Killed with 1.5.0 written and 1.5 in flight: its lease is never given back.
        lowChild?.kill('SIGKILL')
        highRun = r.high.run({ ...INPUTS, version: '1.5.1' }, { runId: '7002' })
      },
    })
    const killed = await r.low.run(
      { ...INPUTS, version: '1.5.0' },
      {
        runId: '7001',
        env: { MULTIARCH_RELEASE_LEASE_TTL_MS: '4000' },
        onSpawn: (child) => {
          lowChild = child
        },
      },
    )
    expect(killed.exitCode).not.toBe(0)
    expect(await resolveDigest(r.path, '1.5.0')).toBeDefined()
    await until(() => highRun !== undefined)
    if (!highRun) throw new Error('unreachable')
    const high = await highRun
    expect(high.stdout).toMatch(
      /Took the release lease: it was expired at .* \(run 7001 stopped holding it\)/,
    )
    r.proxies.low.clear()
    const rerun = await r.low.run(
      { ...INPUTS, version: '1.5.0' },
      { runId: '7001', runAttempt: '2' },
    )
    expect(rerun.errors).toEqual([])
    await higherWins(r, [high, rerun], high.outputs.digest ?? '')
  })

  test('both started at the same moment, no delay: the same end state', async () => {
    const r = await race('race-together')
    const [low, high] = await Promise.all([
      r.low.run({ ...INPUTS, version: '1.5.0' }, { runId: '8001' }),
      r.high.run({ ...INPUTS, version: '1.5.1' }, { runId: '8002' }),
    ])
    await higherWins(r, [low, high], high.outputs.digest ?? '')
  })
})
