// The promises, judged from the world after every run: the registry (read directly, not
// through the fault proxy), the GitHub stand-in's state and the engine's record.
import { createHash } from 'node:crypto'
import type { ActionRun } from '../action-run.js'
import type { GitHubStandIn } from '../github-standin/index.js'
import { parseRecord } from '../../../src/release/verified-record.js'
import { getManifest, resolveDigest } from '../registry-http.js'
import type { ProxyLogEntry } from '../registry-proxy.js'
import { actionContainers } from '../runner-steps.js'
import type { EngineEvents } from './engine-events.js'

export const VERSION = '1.0.0'
export const FINAL_TAGS = ['1.0.0', '1.0', '1', 'latest'] as const
export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const

/** One release under test and what was seen of it so far. */
export interface ReleaseUnderTest {
  /** The repository's path in the registry. */
  readonly path: string
  /** The image as the runs name it (through the proxy). */
  readonly image: string
  readonly github: GitHubStandIn
  /** The commit released. */
  readonly commit: string
  readonly asset: { readonly name: string; readonly bytes: Buffer }
  /** Every run attempt so far, as its containers are labelled. */
  readonly runs: Set<string>
  /** The digest each final tag had when first seen. */
  readonly firstSeen: Map<string, string>
  readonly proxyLog: readonly ProxyLogEntry[]
  readonly engine: EngineEvents
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

interface IndexManifest {
  manifests?: {
    digest: string
    platform?: { os?: string; architecture?: string; variant?: string }
  }[]
}

/** The platforms of an index, attestation manifests (unknown/unknown) left out. */
async function platformsOf(path: string, digest: string): Promise<Map<string, string>> {
  const index = (await getManifest(path, digest)) as IndexManifest
  const found = new Map<string, string>()
  for (const m of index.manifests ?? []) {
    const p = m.platform
    if (!p || p.os === 'unknown') continue
    found.set([p.os, p.architecture, p.variant].filter(Boolean).join('/'), m.digest)
  }
  return found
}

/**
 * Digests the action recorded as verified: every record commit it wrote to the repository's
 * git database (the commit objects outlive the record's ref, which goes once the Release is out).
 */
function markedVerified(world: ReleaseUnderTest): Set<string> {
  return new Set(
    world.github
      .commitMessages('acme', 'app')
      .flatMap((message) => parseRecord(message))
      .map((image) => image.digest),
  )
}

/** Promises 1 to 3, after any run (finished, failed or killed). */
export async function checkAfterRun(world: ReleaseUnderTest): Promise<string[]> {
  const violations: string[] = []
  const tags = new Map<string, string>()
  for (const tag of FINAL_TAGS) {
    const digest = await resolveDigest(world.path, tag)
    if (digest !== undefined) tags.set(tag, digest)
  }
  // 2: a final tag, once written, never changes digest.
  for (const [tag, digest] of tags) {
    const first = world.firstSeen.get(tag)
    if (first === undefined) world.firstSeen.set(tag, digest)
    else if (first !== digest) violations.push(`2: ${tag} moved from ${first} to ${digest}`)
  }
  // 3: a final tag only on a digest whose every platform passed the smoke tests.
  const verified = markedVerified(world)
  for (const digest of new Set(tags.values())) {
    if (!verified.has(digest))
      violations.push(`3: ${digest} has a final tag but was never recorded as verified`)
    const platforms = await platformsOf(world.path, digest)
    for (const [platform, manifest] of platforms) {
      if (!world.engine.smokePassed(world.runs, manifest))
        violations.push(
          `3: ${digest} has a final tag but no smoke command passed on its ${platform}`,
        )
    }
  }
  // 1: a published Release: every final tag on one digest of exactly the platforms, the git
  // tag at the released commit, each asset once with its bytes, and SHA256SUMS.
  const releases = world.github.releases('acme', 'app')
  const published = releases.filter((r) => !r.draft)
  if (published.length > 1) violations.push(`1: ${published.length} published Releases`)
  for (const release of published) {
    const digests = new Set(FINAL_TAGS.map((t) => tags.get(t)))
    if (digests.size !== 1 || digests.has(undefined))
      violations.push(
        `1: Release published with final tags ${JSON.stringify(Object.fromEntries(tags))}`,
      )
    const [digest] = [...digests]
    if (digest !== undefined) {
      const platforms = [...(await platformsOf(world.path, digest)).keys()].sort()
      if (JSON.stringify(platforms) !== JSON.stringify([...PLATFORMS]))
        violations.push(`1: the released index holds ${platforms.join(', ')}`)
    }
    const gitTag = world.github.tags('acme', 'app')[release.tag_name]
    if (gitTag !== world.commit)
      violations.push(`1: ${release.tag_name} is at ${gitTag ?? 'nothing'}`)
    const assets = world.github.assets(release.id)
    const names = assets.map((a) => a.name).sort()
    if (JSON.stringify(names) !== JSON.stringify(['SHA256SUMS', world.asset.name].sort()))
      violations.push(`1: the Release holds ${names.join(', ')}`)
    const file = assets.find((a) => a.name === world.asset.name)
    if (file && !file.bytes.equals(world.asset.bytes))
      violations.push('1: the asset has other bytes')
    const sums = assets.find((a) => a.name === 'SHA256SUMS')
    const expected = `${sha256(world.asset.bytes)}  ${world.asset.name}\n`
    if (sums && sums.bytes.toString() !== expected)
      violations.push(`1: SHA256SUMS reads ${JSON.stringify(sums.bytes.toString())}`)
    if (assets.some((a) => a.state !== 'uploaded')) violations.push('1: an asset is not uploaded')
  }
  return violations
}

/** Promise 4, once the schedule is over: one Release, outputs that match, nothing running. */
export async function checkAtEnd(
  world: ReleaseUnderTest,
  successes: readonly ActionRun[],
): Promise<string[]> {
  const violations: string[] = []
  if (successes.length === 0) violations.push('4: no run succeeded')
  const releases = world.github.releases('acme', 'app')
  if (releases.length !== 1 || releases[0]?.draft !== false)
    violations.push(
      `4: ${releases.length} Releases at the end (${releases.map((r) => (r.draft ? 'draft' : 'published')).join(', ')})`,
    )
  const digest = await resolveDigest(world.path, VERSION)
  for (const run of successes) {
    const o = run.outputs
    const tags = FINAL_TAGS.map((t) => `${world.image}:${t}`).join('\n')
    const mismatches = [
      o.digest === digest ? '' : `digest ${o.digest ?? ''}`,
      o.version === VERSION ? '' : `version ${o.version ?? ''}`,
      o.tags === tags ? '' : `tags ${JSON.stringify(o.tags)}`,
      o.platforms === PLATFORMS.join(',') ? '' : `platforms ${o.platforms ?? ''}`,
      o.published === 'true' ? '' : `published ${o.published ?? ''}`,
      o['release-id'] === String(releases[0]?.id) ? '' : `release-id ${o['release-id'] ?? ''}`,
    ].filter((m) => m !== '')
    if (mismatches.length > 0)
      violations.push(`4: outputs do not match the registry: ${mismatches.join('; ')}`)
  }
  for (const run of world.runs) {
    const left = actionContainers(run)
    if (left.length > 0) violations.push(`4: containers of ${run} left: ${left.join(', ')}`)
  }
  if (world.github.violations.length > 0)
    violations.push(`GitHub schema: ${JSON.stringify(world.github.violations[0]).slice(0, 200)}`)
  return violations
}
