import type { ImageRun, RunContext } from '../context.js'
import type { FinalTag } from '../model/tags.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { floatingMayMove } from '../model/tags.js'
import { annotationsOf, type RemoteManifest } from '../ports/registry.js'
import { notReleasing, type Step } from './step.js'

const VERSION = 'org.opencontainers.image.version'

export const CONCURRENT_REMEDY =
  'let the other run finish (its Release is the one that counts), and give the workflow a concurrency group such as "concurrency: release-${{ github.sha }}" so that runs of one release wait for each other'

function recordTag(ctx: RunContext, ref: string, floating: boolean): void {
  if (!ctx.visible.some((v) => v.kind === 'tag' && v.ref === ref))
    ctx.visible.push({ kind: 'tag', ref, floating })
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
  if (current?.digest === candidate.digest) {
    recordTag(ctx, ref, floating)
    return
  }
  if (current && kind === 'version') {
    throw new StepFailure(
      `${ref} appeared meanwhile with digest ${current.digest}; version tags are immutable, so it is left as it is`,
      'check which run released this version; release a new version if this one is taken',
    )
  }
  if (current && floating) {
    const shown = annotationsOf(current)[VERSION]
    if (!floatingMayMove(shown, plan.version)) {
      run.keptFloating.push(tag)
      ctx.log.info(
        `${ref} stays at ${shown ?? '?'}: it is newer than ${plan.version}, and floating tags never go backwards`,
      )
      return
    }
    if (shown === undefined)
      ctx.log.warning(`${ref} carries no version annotation; it is moved to ${plan.version}`)
  }
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

export const promote: Step = {
  name: 'promote',
  why: 'copy each verified digest to its version tag first and the floating tags last, every image before the next tag, each read back',
  skip: notReleasing,
  async run(ctx) {
    const { plan } = ctx
    if (!plan) throw new Error('the checks must pass before promotion')
    // What every tag shows now, read at once; each write is still read back on its own.
    const current = await Promise.all(
      ctx.images.map((run) =>
        Promise.all(
          plan.tags.map((t) => ctx.ports.registry.manifest(tagRef(run.build.image, t.tag))),
        ),
      ),
    )
    for (const [t, tag] of plan.tags.entries()) {
      for (const [i, run] of ctx.images.entries()) await promoteTag(ctx, run, tag, current[i]?.[t])
    }
  },
  remedy: () =>
    're-run the workflow: the tags already promoted point at the verified digests; the re-run promotes the rest and publishes the Release',
}
