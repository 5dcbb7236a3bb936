import type { ImageRun, ReleasePlan, RunContext } from '../context.js'
import type { FinalTag } from '../model/tags.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { floatingMayMove } from '../model/tags.js'
import { annotationsOf, type RemoteManifest } from '../model/oci.js'
import { notReleasing, type Reveal, type Step } from './step.js'

const VERSION = 'org.opencontainers.image.version'

export const CONCURRENT_REMEDY =
  'let the other run finish (its Release is the one that counts), and give the workflow a concurrency group such as "concurrency: release-${{ github.sha }}" so that runs of one release wait for each other'

function recordTag(ctx: RunContext, ref: string, floating: boolean): void {
  if (!ctx.visible.some((v) => v.kind === 'tag' && v.ref === ref))
    ctx.visible.push({ kind: 'tag', ref, floating })
}

/** What promotion does with one tag, from what the tag shows now: shared by promote and the plan. */
export type Promotion =
  /** The tag already points at the digest: nothing to write. */
  | { readonly action: 'already' }
  /** The tag is written: new, or moved from the version (or digest) it shows now. */
  | { readonly action: 'write'; readonly from: string | undefined }
  /** A floating tag that shows a newer version stays where it is. */
  | { readonly action: 'stay'; readonly shown: string }
  /** A version tag that holds another digest: versions are immutable. */
  | { readonly action: 'taken'; readonly digest: string }

export function promotionOf(
  kind: FinalTag['kind'],
  current: RemoteManifest | undefined,
  digest: string | undefined,
  version: string,
): Promotion {
  if (current === undefined) return { action: 'write', from: undefined }
  if (current.digest === digest) return { action: 'already' }
  if (kind === 'version') return { action: 'taken', digest: current.digest }
  const shown = annotationsOf(current)[VERSION]
  if (kind === 'floating' && !floatingMayMove(shown, version))
    return { action: 'stay', shown: shown ?? '?' }
  return { action: 'write', from: shown ?? current.digest }
}

/** What the plan says about one tag; undefined for a new tag. */
function describePromotion(p: Promotion): string | undefined {
  switch (p.action) {
    case 'already':
      return 'already points at this digest: nothing to write'
    case 'stay':
      return `stays at ${p.shown}: floating tags never go backwards`
    case 'taken':
      return `holds another digest (${p.digest}): the release would stop here`
    case 'write':
      return p.from === undefined ? undefined : `moves from ${p.from}`
  }
}

/** Points one tag of one image at its verified digest, unless that would move it backwards. */
async function promoteTag(
  ctx: RunContext,
  run: ImageRun,
  { tag, kind }: FinalTag,
  current: RemoteManifest | undefined,
): Promise<void> {
  const { plan } = ctx
  const { candidate } = run
  if (!plan || !candidate) throw new Error('the checks must pass before promotion')
  const { registry } = ctx.ports
  const ref = tagRef(run.build.image, tag)
  // A cancelled job stops between two tags, never in the middle of one.
  if (ctx.cancellation.signal !== undefined) {
    throw new StepFailure(
      `the job was cancelled (${ctx.cancellation.signal}) before ${ref} was written`,
    )
  }
  const floating = kind === 'floating'
  const promotion = promotionOf(kind, current, candidate.digest, plan.version)
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
    run.keptFloating.push(tag)
    ctx.log.info(
      `${ref} stays at ${promotion.shown}: it is newer than ${plan.version}, and floating tags never go backwards`,
    )
    return
  }
  if (current && floating && annotationsOf(current)[VERSION] === undefined)
    ctx.log.warning(`${ref} carries no version annotation; it is moved to ${plan.version}`)
  await registry.copy(digestRef(run.build.image, candidate.digest), ref)
  const back = await registry.manifest(ref, { expectPresent: true })
  if (back?.digest !== candidate.digest) {
    // Another digest there means another run is releasing this version right now.
    throw new StepFailure(
      `${ref} was written but reads back as ${back?.digest ?? 'nothing'}, not ${candidate.digest}${back ? ': another run is releasing this version at the same time' : ''}`,
      back ? CONCURRENT_REMEDY : undefined,
    )
  }
  recordTag(ctx, ref, floating)
  ctx.log.info(`Promoted ${ref} -> ${candidate.digest}`)
}

/** What every tag of every image shows now, read at once; each write is still read back on its own. */
function currentTags(
  ctx: RunContext,
  plan: ReleasePlan,
): Promise<(RemoteManifest | undefined)[][]> {
  return Promise.all(
    ctx.images.map((run) =>
      Promise.all(
        plan.tags.map((t) => ctx.ports.registry.manifest(tagRef(run.build.image, t.tag))),
      ),
    ),
  )
}

export const promote: Step = {
  name: 'promote',
  why: 'copy each verified digest to its version tag first and the floating tags last, every image before the next tag, each read back',
  skip: notReleasing,
  async reveals(ctx) {
    const { plan } = ctx
    if (!plan) return []
    const current = await currentTags(ctx, plan)
    return plan.tags.flatMap((t, i) =>
      ctx.images.map((run, j): Reveal => {
        const p = promotionOf(t.kind, current[j]?.[i], run.candidate?.digest, plan.version)
        return {
          kind: `${t.kind} tag`,
          ref: tagRef(run.build.image, t.tag),
          announced: true,
          note: describePromotion(p),
        }
      }),
    )
  },
  async run(ctx) {
    const { plan } = ctx
    if (!plan) throw new Error('the checks must pass before promotion')
    const current = await currentTags(ctx, plan)
    for (const [t, tag] of plan.tags.entries()) {
      for (const [i, run] of ctx.images.entries()) await promoteTag(ctx, run, tag, current[i]?.[t])
    }
  },
  remedy: () =>
    're-run the workflow: the tags already promoted point at the verified digests; the re-run promotes the rest and publishes the Release',
}
