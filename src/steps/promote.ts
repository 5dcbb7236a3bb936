import semver from 'semver'
import type { Run } from '../run/run.js'
import type { Candidate, ReleasePlan, Replica } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import type { Lease } from '../release/lease.js'
import type { FinalTag } from '../model/tags.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef, type ImageRepository } from '../model/image-ref.js'
import { decideFloating, decideLatest, releasedVersions } from '../model/history.js'
import { annotationsOf, type RemoteManifest } from '../model/oci.js'
import type { Registry } from '../ports/registry.js'
import { defineStep, notReleasing, type Reveal } from './step.js'
import { holdLease } from './take-lease.js'

const VERSION = 'org.opencontainers.image.version'

type LatestDecision = { readonly latest: boolean; readonly reason: string }

export const CONCURRENT_REMEDY =
  'let the other run finish (its Release is the one that counts), and give the workflow a concurrency group such as "concurrency: release-${{ github.sha }}" so that runs of one release wait for each other'

function recordTag(ctx: Run, ref: string, floating: boolean): void {
  const { visible } = ctx.report
  if (!visible.some((v) => v.kind === 'tag' && v.ref === ref))
    visible.push({ kind: 'tag', ref, floating })
}

/** What promotion does with one tag, from what the tag shows now: shared by promote and the plan. */
export type Promotion =
  /** The tag already points at the digest: nothing to write. */
  | { readonly action: 'already' }
  /** The tag is written: new, or moved from the version (or digest) it shows now. */
  | { readonly action: 'write'; readonly from: string | undefined }
  /** A floating tag stays: it shows, or the history holds, a higher version of its line. */
  | { readonly action: 'stay'; readonly reason: string }
  /** A version tag that holds another digest: versions are immutable. */
  | { readonly action: 'taken'; readonly digest: string }

/** What a tag shows now: its manifest and the version its image says it is, if any. */
export interface TagState {
  readonly manifest: RemoteManifest | undefined
  readonly version: semver.SemVer | undefined
}

export function promotionOf(
  tag: FinalTag,
  current: TagState,
  digest: string | undefined,
  version: string,
  history: readonly semver.SemVer[],
): Promotion {
  const { manifest } = current
  if (manifest !== undefined && manifest.digest === digest) return { action: 'already' }
  if (tag.kind === 'version') {
    return manifest === undefined
      ? { action: 'write', from: undefined }
      : { action: 'taken', digest: manifest.digest }
  }
  const from = manifest && (current.version?.version ?? manifest.digest)
  if (tag.kind !== 'floating') return { action: 'write', from }
  const decision = decideFloating(tag.line, new semver.SemVer(version), current.version, history)
  return decision.move ? { action: 'write', from } : { action: 'stay', reason: decision.reason }
}

/** What the plan says about one tag; undefined for a new tag. */
function describePromotion(p: Promotion): string | undefined {
  switch (p.action) {
    case 'already':
      return 'already points at this digest: nothing to write'
    case 'stay':
      return `stays: ${p.reason}; floating tags never go backwards`
    case 'taken':
      return `holds another digest (${p.digest}): the release would stop here`
    case 'write':
      return p.from === undefined ? undefined : `moves from ${p.from}`
  }
}

/**
 * The version an image under a tag says it is: its index's version annotation, else the version
 * label of its image config (images pushed by other tools carry only the label).
 */
async function shownVersion(
  registry: Registry,
  ref: string,
  manifest: RemoteManifest,
): Promise<semver.SemVer | undefined> {
  const annotated = annotationsOf(manifest)[VERSION]
  if (annotated !== undefined) return semver.parse(annotated.replace(/^v/, '')) ?? undefined
  let config
  try {
    const digested = `${ref.slice(0, ref.lastIndexOf(':'))}@${manifest.digest}`
    config = Array.isArray(manifest.json.manifests)
      ? [...(await registry.indexConfigs(digested)).values()][0]
      : await registry.imageConfig(digested)
  } catch {
    return undefined
  }
  const labels = (config?.raw.config as { Labels?: Record<string, string> } | undefined)?.Labels
  const label = labels?.[VERSION]
  return label === undefined ? undefined : (semver.parse(label.replace(/^v/, '')) ?? undefined)
}

/** One repository a candidate is promoted in: its first (where it was checked) or a copy's. */
export interface PromotionTarget {
  readonly candidate: Candidate
  readonly repository: ImageRepository
}

/**
 * Where each candidate is promoted: every repository of its image, the first one first. A
 * further repository without a replica read back is a pipeline in the wrong order.
 */
export function promotionTargets(
  candidates: readonly Candidate[],
  replicas: readonly Replica[],
): PromotionTarget[] {
  return candidates.flatMap((candidate) =>
    candidate.image.build.repositories.map((repository, r) => {
      if (
        r > 0 &&
        !replicas.some((x) => x.candidate === candidate && x.repository.name === repository.name)
      )
        throw new Error(`${repository.name} has no copy of ${candidate.digest} to promote`)
      return { candidate, repository }
    }),
  )
}

/**
 * What every tag shows now in every repository, read at once; each write is still read back on
 * its own. Floating tags are judged per repository: each one's tag never moves backwards.
 */
function currentTags(
  ctx: Run,
  plan: ReleasePlan,
  repositories: readonly ImageRepository[],
): Promise<TagState[][]> {
  const { registry } = ctx.ports
  return Promise.all(
    repositories.map((repository) =>
      Promise.all(
        plan.tags.map(async (t): Promise<TagState> => {
          const ref = tagRef(repository, t.tag)
          const manifest = await registry.manifest(ref)
          const version =
            manifest && t.kind === 'floating'
              ? await shownVersion(registry, ref, manifest)
              : undefined
          return { manifest, version }
        }),
      ),
    ),
  )
}

/**
 * What promotion does with each tag in each repository (`promotions[repository][tag]`), from the
 * tags there now and the release history, which it returns too: the plan and the run decide alike.
 */
async function decidePromotions(
  ctx: Run,
  plan: ReleasePlan,
  targets: readonly { readonly repository: ImageRepository; readonly digest: string | undefined }[],
): Promise<{ promotions: Promotion[][]; history: semver.SemVer[] }> {
  const [current, history] = await Promise.all([
    currentTags(
      ctx,
      plan,
      targets.map((t) => t.repository),
    ),
    releaseHistory(ctx),
  ])
  const promotions = targets.map(({ digest }, i) =>
    plan.tags.map((tag, t) =>
      promotionOf(
        tag,
        current[i]?.[t] ?? { manifest: undefined, version: undefined },
        digest,
        plan.version,
        history,
      ),
    ),
  )
  return { promotions, history }
}

/** The versions this repository has released, as the API says now: version tags and Releases. */
export async function releaseHistory(ctx: Run): Promise<semver.SemVer[]> {
  const { github } = ctx.ports
  const [tags, releases] = await Promise.all([
    github.tagsWithPrefix(ctx.inputs.tagPrefix),
    github.listReleases(),
  ])
  return releasedVersions(
    ctx.inputs.tagPrefix,
    tags.map((t) => t.name),
    releases.filter((r) => !r.draft).map((r) => r.tagName),
  )
}

/** Points one tag of one repository at its verified digest, unless that would move it backwards. */
async function promoteTag(
  ctx: Run,
  { candidate, repository }: PromotionTarget,
  tag: FinalTag,
  promotion: Promotion,
  lease: Lease | undefined,
): Promise<void> {
  const { registry } = ctx.ports
  const { build } = candidate.image
  const ref = tagRef(repository, tag.tag)
  // A cancelled job stops between two tags, never in the middle of one.
  if (ctx.cancellation.signal !== undefined) {
    throw new StepFailure(
      `the job was cancelled (${ctx.cancellation.signal}) before ${ref} was written`,
    )
  }
  const floating = tag.kind === 'floating'
  if (promotion.action === 'already') {
    recordTag(ctx, ref, floating)
    return
  }
  if (promotion.action === 'taken') {
    throw new StepFailure(
      `${ref} appeared meanwhile with digest ${promotion.digest}; version tags are immutable, so it is left as it is`,
      'check which run released this version; release a new version if this one is taken',
    )
  }
  if (promotion.action === 'stay') {
    imageReport(ctx.report, build.name).kept.push({ ref, reason: promotion.reason })
    ctx.log.info(`${ref} stays where it is: ${promotion.reason}`)
    return
  }
  await lease?.keep()
  await registry.copy(digestRef(repository, candidate.digest), ref)
  const back = await registry.manifest(ref, { expectPresent: true })
  if (back?.digest !== candidate.digest) {
    // Another digest there means another run is releasing this version right now.
    throw new StepFailure(
      `${ref} was written but reads back as ${back?.digest ?? 'nothing'}, not ${candidate.digest}${back ? ': another run is releasing this version at the same time' : ''}`,
      back ? CONCURRENT_REMEDY : undefined,
    )
  }
  recordTag(ctx, ref, floating)
  ctx.log.info(
    `Promoted ${ref} -> ${candidate.digest}${promotion.from !== undefined ? ` (was ${promotion.from})` : ''}`,
  )
}

export const promote = defineStep({
  name: 'promote',
  why: 'copy each verified digest to its version tag first and the floating tags last, each read back; a floating tag moves only to the highest released version of its line',
  needs: ['plan', 'candidates', 'replicas', 'lease'],
  gives: ['lease', 'promoted', 'latest'],
  skip: notReleasing,
  async reveals(ctx, { plan, candidates }) {
    if (!plan) return []
    const targets = ctx.inputs.components.flatMap((build) =>
      build.repositories.map((repository) => ({ build, repository })),
    )
    const { promotions } = await decidePromotions(
      ctx,
      plan,
      targets.map(({ build, repository }) => ({
        repository,
        digest: candidates?.find((c) => c.image.build === build)?.digest,
      })),
    )
    return plan.tags.flatMap((t, i) =>
      targets.map(({ repository }, j): Reveal => {
        const p = promotions[j]?.[i] ?? { action: 'already' }
        return {
          kind: `${t.kind} tag`,
          ref: tagRef(repository, t.tag),
          announced: true,
          note: describePromotion(p),
        }
      }),
    )
  },
  async run(ctx, { plan, candidates, replicas, lease: held }) {
    const targets = promotionTargets(candidates, replicas)
    const decide = async (): Promise<{ promotions: Promotion[][]; latest: LatestDecision }> => {
      const { promotions, history } = await decidePromotions(
        ctx,
        plan,
        targets.map(({ repository, candidate }) => ({ repository, digest: candidate.digest })),
      )
      const latest = decideLatest(
        new semver.SemVer(plan.version),
        plan.channel,
        history,
        plan.maintenance?.branch,
      )
      return { promotions, latest }
    }
    // Decided under the lease: from the history as the previous run left it. A published
    // Release takes the lease only when a tag is still to be written, then decides again.
    let lease = held
    let decided = await decide()
    if (!lease && decided.promotions.flat().some((p) => p.action === 'write')) {
      lease = await holdLease(ctx, plan.version, plan.commit)
      decided = await decide()
    }
    ctx.report.latest = decided.latest
    const promoted: { ref: string; digest: string }[] = []
    // Each tag in every repository before the next: every version tag before any floating one.
    for (const [t, tag] of plan.tags.entries()) {
      for (const [i, target] of targets.entries()) {
        const promotion = decided.promotions[i]?.[t]
        if (!promotion) continue
        await promoteTag(ctx, target, tag, promotion, lease)
        if (promotion.action !== 'stay')
          promoted.push({
            ref: tagRef(target.repository, tag.tag),
            digest: target.candidate.digest,
          })
      }
    }
    return { lease, promoted, latest: decided.latest }
  },
  remedy: () =>
    're-run the workflow: the tags already promoted point at the verified digests; the re-run promotes the rest and publishes the Release',
})
