import { jest } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRunOptions } from '../support/action-run.js'
import { listTags, resolveDigest } from '../support/registry-http.js'
import { startRegistryProxy, type RegistryProxy } from '../support/registry-proxy.js'
import { TOKEN, releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REPO_ROOT, requireStack } from '../support/stack.js'
import { LEASE_REF, leaseMessage } from '../../src/release/lease.js'

jest.setTimeout(300_000)

/** The example image, with switches to break it on arm64 only: at build time, or at run time. */
const DOCKERFILE = [
  'FROM scratch',
  'ARG TARGETARCH',
  'ARG FAIL=0',
  'COPY bin/busybox-${TARGETARCH} /bin/busybox',
  'COPY www/ /www/',
  'RUN ["/bin/busybox", "sh", "-c", "[ \\"$FAIL\\" = 0 ] || [ \\"$(/bin/busybox uname -m)\\" != aarch64 ]"]',
  'ENTRYPOINT ["/bin/busybox"]',
  'CMD ["sh", "-c", "if [ \\"$(uname -m)\\" = aarch64 ]; then [ \\"$HANG\\" = 1 ] && exec sleep 600; [ \\"$EXIT\\" = 1 ] && { echo broken config >&2; exit 3; }; fi; exec httpd -f -p 8080 -h /www"]',
  '',
].join('\n')

const BASE = {
  version: '1.0.0',
  'smoke-run': 'true',
  'smoke-http': '8080/health',
  'release-assets': 'out/*.txt',
}
const ALL_TAGS = ['1', '1.0', '1.0.0', 'latest']

interface Injected {
  readonly w: ReleaseWorld
  readonly proxy: RegistryProxy
  /** The running action, once spawned. */
  readonly child: () => ChildProcess | undefined
}

type Outcome =
  | { kind: 'absorbed' }
  | {
      kind: 'fails'
      step: string
      visible: string
      finalTags: string[]
      message?: RegExp
      /** The remedy the failure report gives; default: re-run the workflow. */
      remedy?: RegExp
    }

/** A run that failed after its digest passed every check: the re-run must not build again. */
const AFTER_VERIFIED = ['draft-release', 'lease', 'promote', 'publish']

interface FaultRow {
  readonly point: string
  readonly inputs?: Record<string, string>
  /** Inputs of the re-run, when the fault was in the inputs (a smoke test fixed, a build arg). */
  readonly rerunInputs?: Record<string, string>
  readonly inject: (i: Injected) => void | Promise<void>
  readonly outcome: Outcome
}

const rows: FaultRow[] = [
  {
    point: 'build failure on one platform (arm64)',
    inputs: { 'build-args': 'FAIL=1' },
    rerunInputs: { 'build-args': 'FAIL=0' },
    inject: () => undefined,
    outcome: {
      kind: 'fails',
      step: 'build',
      visible: 'nothing',
      finalTags: [],
      message: /the build failed for linux\/arm64/,
    },
  },
  {
    point: 'registry unreachable during push',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'PUT', hangUp: true, times: Infinity })
    },
    outcome: { kind: 'fails', step: 'build', visible: 'nothing', finalTags: [] },
  },
  {
    point: 'registry 503 three times while pushing, then recovering',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'PUT', path: /\/manifests\//, status: 503, times: 3 })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point:
      'registry 400 MANIFEST_BLOB_UNKNOWN on the candidate manifest (its blobs not visible yet)',
    inject: ({ proxy }) => {
      proxy.fail({
        method: 'PUT',
        path: /\/manifests\/sha256:/,
        status: 400,
        code: 'MANIFEST_BLOB_UNKNOWN',
        times: 1,
      })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'registry 500 three times on manifest reads',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'GET', path: /\/manifests\/sha256:/, status: 500, times: 3 })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'registry 429 three times during promotion',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'PUT', path: /\/manifests\/1\.0\.0$/, status: 429, times: 3 })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'smoke command failing on arm64',
    inputs: { 'smoke-run': 'sh -c "test $(uname -m) != aarch64"' },
    rerunInputs: { 'smoke-run': 'true' },
    inject: () => undefined,
    outcome: {
      kind: 'fails',
      step: 'smoke',
      visible: 'untagged manifests only',
      finalTags: [],
      message: /linux\/arm64: run sh -c/,
    },
  },
  {
    point: 'health probe timing out on arm64',
    inputs: { 'smoke-env': 'HANG=1', 'smoke-timeout': '60,linux/arm64=5' },
    rerunInputs: { 'smoke-env': 'HANG=0' },
    inject: () => undefined,
    outcome: {
      kind: 'fails',
      step: 'smoke',
      visible: 'untagged manifests only',
      finalTags: [],
      message: /linux\/arm64: http 8080\/health: timed out/,
    },
  },
  {
    point: 'container exiting early on arm64',
    inputs: { 'smoke-env': 'EXIT=1' },
    rerunInputs: { 'smoke-env': 'EXIT=0' },
    inject: () => undefined,
    outcome: {
      kind: 'fails',
      step: 'smoke',
      visible: 'untagged manifests only',
      finalTags: [],
      message: /container exited \(code 3\).*broken config/,
    },
  },
  {
    point: 'the registry serves an index that lost linux/arm64',
    inject: ({ proxy }) => {
      proxy.fail({
        method: 'GET',
        path: /\/manifests\/sha256:/,
        times: 8,
        rewrite: (body) => {
          const index = JSON.parse(body) as {
            manifests?: { platform?: { architecture?: string } }[]
          }
          if (!Array.isArray(index.manifests)) return body
          return JSON.stringify({
            ...index,
            manifests: index.manifests.filter((m) => m.platform?.architecture !== 'arm64'),
          })
        },
      })
    },
    outcome: {
      kind: 'fails',
      step: 'assert-manifest',
      visible: 'untagged manifests only',
      finalTags: [],
    },
  },
  {
    point: 'GitHub 5xx on draft creation',
    inject: ({ w }) => {
      w.github.fail({ method: 'POST', route: 'repos/create-release', status: 502, times: Infinity })
    },
    outcome: {
      kind: 'fails',
      step: 'draft-release',
      visible: 'untagged manifests only',
      finalTags: [],
    },
  },
  {
    point: 'GitHub 422 on draft creation',
    inject: ({ w }) => {
      w.github.fail({ method: 'POST', route: 'repos/create-release', status: 422, times: 1 })
    },
    outcome: {
      kind: 'fails',
      step: 'draft-release',
      visible: 'untagged manifests only',
      finalTags: [],
      message: /422/,
    },
  },
  {
    point: 'GitHub 503 three times on draft creation, then recovering',
    inject: ({ w }) => {
      w.github.fail({ method: 'POST', route: 'repos/create-release', status: 503, times: 3 })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'GitHub creates the draft but the answer is lost (502), so the request is retried',
    inject: ({ w }) => {
      w.github.fail({
        method: 'POST',
        route: 'repos/create-release',
        status: 502,
        afterEffect: true,
      })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'asset upload failing midway',
    inject: ({ w }) => {
      w.github.fail({
        route: 'repos/upload-release-asset',
        afterBytes: 10,
        status: 502,
        times: Infinity,
        leaveStarterAsset: true,
      })
    },
    outcome: { kind: 'fails', step: 'draft-release', visible: 'draft only', finalTags: [] },
  },
  {
    point: 'GitHub 503 three times while taking the release lease, then recovering',
    inject: ({ w }) => {
      w.github.fail({ method: 'POST', route: 'git/create-ref', status: 503, times: 3 })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'GitHub refusing every write of the release lease',
    inject: ({ w }) => {
      w.github.fail({
        method: 'POST',
        route: 'git/create-commit',
        bodyMatches: /release lease/,
        status: 500,
        times: Infinity,
      })
    },
    outcome: { kind: 'fails', step: 'lease', visible: 'draft only', finalTags: [] },
  },
  {
    point: 'another run died holding the release lease: it is taken once it expires',
    inject: async ({ w }) => {
      // Run 999 took the lease a moment ago, through the API as a run does, and died.
      const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
        const response = await fetch(`${w.github.apiUrl}/repos/acme/app${path}`, {
          method,
          headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`)
        return response.json()
      }
      const base = (await api('GET', `/git/commits/${w.repo.sha}`)) as { tree: { sha: string } }
      const message = leaseMessage({
        holder: '999-1-dead',
        runId: '999',
        attempt: 1,
        version: '0.9.0',
        state: 'held',
        expires: Date.now() + 3_000,
      })
      const lease = (await api('POST', '/git/commits', {
        message,
        tree: base.tree.sha,
        parents: [],
      })) as { sha: string }
      await api('POST', '/git/refs', { ref: LEASE_REF, sha: lease.sha })
    },
    outcome: { kind: 'absorbed' },
  },
  {
    point: 'promotion failing after the version tag, before latest',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'PUT', path: /\/manifests\/latest$/, status: 500, times: Infinity })
    },
    outcome: {
      kind: 'fails',
      step: 'promote',
      visible: 'tags promoted',
      finalTags: ['1', '1.0', '1.0.0'],
    },
  },
  {
    point: 'the registry denying the promotion of latest (403)',
    inject: ({ proxy }) => {
      proxy.fail({ method: 'PUT', path: /\/manifests\/latest$/, status: 403, times: Infinity })
    },
    outcome: {
      kind: 'fails',
      step: 'promote',
      visible: 'tags promoted',
      finalTags: ['1', '1.0', '1.0.0'],
      remedy: /Remedy: log in before this step .*; then re-run the workflow/,
    },
  },
  {
    point: 'publishing failing',
    inject: ({ w }) => {
      w.github.fail({
        method: 'PATCH',
        route: 'repos/update-release',
        status: 503,
        times: Infinity,
      })
    },
    outcome: { kind: 'fails', step: 'publish', visible: 'tags promoted', finalTags: ALL_TAGS },
  },
  {
    point: 'the job cancelled (SIGTERM) in the middle of promotion',
    inject: ({ proxy, child }) => {
      proxy.fail({
        method: 'PUT',
        path: /\/manifests\/1\.0$/,
        delayMs: 1500,
        onMatch: () => child()?.kill('SIGTERM'),
      })
    },
    outcome: {
      kind: 'fails',
      step: 'promote',
      visible: 'tags promoted',
      // The write of 1.0 in flight is abandoned at once: the signal ends every wait.
      finalTags: ['1.0.0'],
      message: /cancelled \(SIGTERM\)/,
    },
  },
]

interface ReportRow {
  point: string
  firstRun: string
  promisesHeld: boolean
  rerun: string
}
const report: ReportRow[] = []
let proxy: RegistryProxy

beforeAll(async () => {
  await requireStack()
  proxy = await startRegistryProxy()
})

afterAll(async () => {
  await proxy.close()
  mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true })
  writeFileSync(join(REPO_ROOT, 'tmp', 'fault-report.json'), JSON.stringify(report, null, 2))
})

test.each(rows.map((r) => [r.point, r] as const))('%s', async (_point, row) => {
  const path = `e2e/fault-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const w = await releaseWorld(
    'fault',
    { Dockerfile: DOCKERFILE },
    { name: `${proxy.host}/${path}`, path },
  )
  const entry: ReportRow = {
    point: row.point,
    firstRun: '',
    promisesHeld: false,
    rerun: 'not needed',
  }
  report.push(entry)
  try {
    mkdirSync(join(w.repo.dir, 'out'))
    writeFileSync(join(w.repo.dir, 'out', 'notes.txt'), 'exactly one copy\n')
    proxy.clear()
    let child: ChildProcess | undefined
    await row.inject({ w, proxy, child: () => child })
    const options: Partial<ActionRunOptions> = {
      onSpawn: (c) => {
        child = c
      },
    }
    const first = await w.run({ ...BASE, ...row.inputs }, options)
    // Only final tags ever exist: the candidate is untagged, the verified record is not a tag.
    const finalTags = await listTags(path)
    const published = w.github.releases('acme', 'app').filter((r) => !r.draft)
    const error = first.errors.join('\n')

    if (row.outcome.kind === 'absorbed') {
      entry.firstRun = first.exitCode === 0 ? 'released' : `FAILED: ${error.split('\n')[0] ?? ''}`
      expect(first.errors).toEqual([])
      expect(first.exitCode).toBe(0)
    } else {
      const { step, visible } = row.outcome
      entry.firstRun = `failed in ${step}`
      expect(first.exitCode).toBe(1)
      expect(error).toMatch(new RegExp(`Step '${step}' failed`))
      if (row.outcome.message) expect(error).toMatch(row.outcome.message)
      // Promise 5: where things stand, and the remedy.
      expect(error).toMatch(new RegExp(`Visible to users: ${visible}\\.`))
      expect(error).toMatch(row.outcome.remedy ?? /Remedy: /)
      expect(first.summary).toContain(`| ${step} | `)
      // Promises 1 and 2: no final tag before proof, no Release before the images.
      expect(finalTags.sort()).toEqual([...row.outcome.finalTags].sort())
      expect(published).toEqual([])
      entry.promisesHeld = true

      proxy.clear()
      w.github.clearFaults()
      const rerun = await w.run({ ...BASE, ...row.inputs, ...row.rerunInputs }, { runAttempt: '2' })
      entry.rerun =
        rerun.exitCode === 0 ? 'completed' : `FAILED: ${rerun.errors.join(' ').slice(0, 80)}`
      expect(rerun.errors).toEqual([])
      expect(rerun.exitCode).toBe(0)
      if (AFTER_VERIFIED.includes(step)) {
        // Promise 6: no rebuild when this build's digest already passed every check.
        expect(rerun.summary).toMatch(
          /\| build \| skipped: the digest of this commit was already verified/,
        )
        expect(rerun.outputs.digest).toBe(first.outputs.digest)
      }
    }
    // Either way, the release is now complete, exactly once.
    const releases = w.github.releases('acme', 'app')
    expect(releases).toHaveLength(1)
    expect(releases[0]).toMatchObject({ tag_name: 'v1.0.0', draft: false })
    const assets = w.github.assets(releases[0]?.id ?? 0).map((a) => `${a.name}:${a.state}`)
    expect(assets.sort()).toEqual(['SHA256SUMS:uploaded', 'notes.txt:uploaded'])
    const digest = await resolveDigest(path, '1.0.0')
    for (const tag of ALL_TAGS) expect(await resolveDigest(path, tag)).toBe(digest)
    entry.promisesHeld = true
  } finally {
    await w.github.close()
  }
})
