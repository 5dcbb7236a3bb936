import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ImageRun, RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { tail } from '../ports/process.js'
import { TRANSIENT_FAILURE, retryCommand, retryPolicy } from '../ports/retry.js'
import {
  cacheFlags,
  cacheUse,
  candidateTag,
  failedPlatform,
  type BuildOutput,
  type BuildPlan,
} from '../build/buildx-args.js'
import { formatPlatform } from '../model/platform.js'
import type { Reveal, Step } from './step.js'
import { settleBounded } from '../parallel.js'
import { candidateStrategy, driverAbilities } from '../build/strategy.js'
import { progress } from '../report/progress.js'
import { imageAnnotations, imageMetadata } from './image-metadata.js'

/**
 * A manifest refused with 400 while pushing: registries answer so (MANIFEST_BLOB_UNKNOWN) when
 * another push of the same blobs, such as a concurrent run of this release, has not committed
 * them yet. The retry finds them there.
 */
const PUSH_RACE = /PUT request to \S+\/manifests\/\S+: 400 Bad Request/

function outputFor(ctx: RunContext, run: ImageRun, commit: string): BuildOutput {
  const image = run.build.image
  if (ctx.mode === 'build') return { kind: 'cache-only' }
  const abilities = ctx.builderAbilities ?? driverAbilities(ctx.builderDriver ?? 'docker', true)
  if (candidateStrategy(abilities) === 'candidate-tag') {
    // The platform jobs of one workflow run share its id: each needs its own candidate tag.
    const platform =
      ctx.mode === 'build-platform'
        ? `-${run.build.platforms.map(formatPlatform).join('').replace(/\//g, '-')}`
        : ''
    return {
      kind: 'push-tag',
      ref: tagRef(image, `${candidateTag(commit, ctx.env.runId, ctx.env.runAttempt)}${platform}`),
    }
  }
  return { kind: 'push-by-digest', image: image.name }
}

/** Reads the index digest that buildx wrote to its metadata file. */
async function readBuildDigest(metadataFile: string): Promise<string> {
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>
  const digest = metadata['containerimage.digest']
  if (typeof digest !== 'string' || !digest.startsWith('sha256:')) {
    throw new StepFailure(`buildx wrote no image digest to its metadata file ${metadataFile}`)
  }
  return digest
}

/**
 * When buildx's log does not say which platform failed (a scratch stage's steps carry no
 * platform), builds each platform alone from the warm cache and names the failing ones.
 */
async function diagnoseFailingPlatforms(
  ctx: RunContext,
  plan: BuildPlan,
): Promise<string | undefined> {
  if (plan.platforms.length < 2) return plan.platforms.map(formatPlatform)[0]
  const failing: string[] = []
  for (const platform of plan.platforms) {
    const result = await ctx.ports.engine.build({
      ...plan,
      platforms: [platform],
      output: { kind: 'cache-only' },
      metadataFile: `${plan.metadataFile}.diagnose`,
    })
    if (result.exitCode !== 0) failing.push(formatPlatform(platform))
  }
  return failing.length > 0 && failing.length < plan.platforms.length
    ? failing.join(', ')
    : undefined
}

/** The build of one image of this run, to the given output. */
export function buildPlanFor(
  ctx: RunContext,
  run: ImageRun,
  output: BuildOutput,
  metadataFile: string,
): BuildPlan {
  const { build } = run
  return {
    platforms: build.platforms,
    context: build.context,
    file: build.file,
    target: build.target,
    buildArgs: build.buildArgs,
    labels: imageMetadata(ctx, run),
    annotations: imageAnnotations(ctx, run),
    output,
    metadataFile,
    provenance: ctx.inputs.provenance,
    sbom: ctx.inputs.sbom,
    builder: ctx.inputs.builder,
    // Pull request builds read the cache but never write to a registry they may not push to.
    ...cacheFlags(
      ctx.inputs.cache,
      build.image.name,
      build.name,
      ctx.mode !== 'build' && output.kind !== 'load',
    ),
  }
}

/** At most this many images build at once: each build already uses every core. */
const PARALLEL_BUILDS = 2

/** A release job after build-platform jobs: one index from their digests, never a rebuild. */
async function assembleImage(ctx: RunContext, run: ImageRun): Promise<void> {
  const plan = ctx.plan
  if (!plan) throw new Error('preflight must plan the release before the build')
  const { image } = run.build
  const ref = tagRef(image, candidateTag(plan.commit, ctx.env.runId, ctx.env.runAttempt))
  const sources = ctx.inputs.platformDigests.map((d) => digestRef(image, d.digest))
  await ctx.ports.registry.assemble(sources, ref, imageAnnotations(ctx, run))
  run.candidateTags.push(ref)
  const assembled = await ctx.ports.registry.manifest(ref, { expectPresent: true })
  if (!assembled) throw new StepFailure(`the assembled index ${ref} cannot be read back`)
  run.candidate = { ref, digest: assembled.digest }
  ctx.visible.push({ kind: 'candidate', ref })
  ctx.log.info(`Assembled ${ref} (${assembled.digest}) from ${sources.length} platform image(s)`)
}

/** Builds one image and pushes its candidate (or, in a build-only run, keeps it in the cache). */
async function buildImage(ctx: RunContext, run: ImageRun): Promise<void> {
  const plan = ctx.plan
  if (!plan) throw new Error('preflight must plan the release before the build')
  const output = outputFor(ctx, run, plan.commit)
  const metadataFile = join(ctx.workDir, `build-metadata-${run.build.name}.json`)
  const buildPlan = buildPlanFor(ctx, run, output, metadataFile)
  const what = ctx.images.length > 1 ? `component ${run.build.name}: ` : ''
  // A registry hiccup while pushing is retried: the build cache makes the retry cheap.
  const result = await ctx.log.group(`Build ${what}${run.build.platforms.length} platform(s)`, () =>
    retryCommand(
      'pushing the candidate',
      () => ctx.ports.engine.build(buildPlan, { stream: true, sourceDateEpoch: plan.commitTime }),
      (message) => {
        ctx.log.warning(message)
      },
      retryPolicy(ctx.env.backoffMs, ctx.cancellation.abortSignal),
      (r) =>
        /push/i.test(r.stderr) &&
        (TRANSIENT_FAILURE.test(tail(r.stderr, 8)) || PUSH_RACE.test(tail(r.stderr, 8))),
    ),
  )
  if (result.exitCode !== 0) {
    const platform =
      failedPlatform(result.stderr) ?? (await diagnoseFailingPlatforms(ctx, buildPlan))
    const errors = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('ERROR') || l.includes('did not complete successfully'))
    const where = [ctx.images.length > 1 ? `component ${run.build.name}` : '', platform ?? '']
      .filter((w) => w !== '')
      .join(', ')
    throw new StepFailure(
      `the build failed${where ? ` for ${where}` : ''}: ${tail(errors.length > 0 ? errors.join('\n') : result.stderr, 6)}`,
    )
  }
  run.cache = cacheUse(result.stderr)
  if (output.kind === 'cache-only') return
  if (output.kind === 'push-tag') run.candidateTags.push(output.ref)
  const digest = await readBuildDigest(metadataFile)
  const ref = output.kind === 'push-tag' ? output.ref : digestRef(run.build.image, digest)
  run.candidate = { ref, digest }
  ctx.visible.push({ kind: 'candidate', ref })
  ctx.log.info(`Pushed candidate ${ref} (${digest})`)
}

/** Where the plan says an image's candidate would go: unannounced, never a final tag. */
function candidateOf(ctx: RunContext, run: ImageRun): Reveal[] {
  const commit = ctx.plan?.commit ?? ctx.trigger.commit
  const output: BuildOutput =
    ctx.inputs.platformDigests.length > 0
      ? {
          kind: 'push-tag',
          ref: tagRef(run.build.image, candidateTag(commit, ctx.env.runId, ctx.env.runAttempt)),
        }
      : outputFor(ctx, run, commit)
  if (output.kind === 'push-tag') return [{ kind: 'candidate', ref: output.ref, announced: false }]
  if (output.kind !== 'push-by-digest') return []
  return [
    { kind: 'candidate', ref: output.image, announced: false, note: 'pushed by digest, no tag' },
  ]
}

export const build: Step = {
  name: 'build',
  why: 'build every platform of every image with buildx and push each index to a candidate reference, never a final tag',
  skip: (ctx) =>
    ctx.images.every((run) => run.reused)
      ? `the digest of this commit was already verified (${ctx.images[0]?.reused ?? ''}): no rebuild`
      : undefined,
  reveals: (ctx) => ctx.images.filter((run) => !run.reused).flatMap((run) => candidateOf(ctx, run)),
  async run(ctx) {
    const pending = ctx.images.filter((run) => !run.reused)
    const assembling = ctx.inputs.platformDigests.length > 0
    const step = progress('build', pending.length)
    const results = await settleBounded(pending, PARALLEL_BUILDS, async (run) => {
      const started = Date.now()
      const platforms = run.build.platforms.map(formatPlatform).join(', ')
      const what = ctx.images.length > 1 ? `component ${run.build.name} (${platforms})` : platforms
      try {
        await (assembling ? assembleImage(ctx, run) : buildImage(ctx, run))
        ctx.log.info(step(what, 'done', Date.now() - started))
      } catch (error) {
        ctx.log.info(step(what, 'failed', Date.now() - started))
        throw error
      }
    })
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (failures.length > 0) {
      const first = failures[0]
      if (failures.length === 1 && first instanceof StepFailure) throw first
      throw new StepFailure(
        failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; '),
      )
    }
    if (ctx.mode === 'build')
      ctx.log.info('Built every platform; nothing was pushed (build-only run)')
  },
  remedy: (ctx) =>
    ctx.images.some((run) => run.candidate)
      ? 're-run the workflow; only unannounced candidate references were pushed'
      : 'fix the build and re-run the workflow; nothing was pushed',
}
