import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Run } from '../run/run.js'
import type { BuilderFacts, Candidate, PlannedImage, ReleasePlan } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import { StepFailure } from '../model/errors.js'
import { digestRef } from '../model/image-ref.js'
import { tail } from '../ports/process.js'
import { TRANSIENT_FAILURE, retryCommand, retryPolicy } from '../ports/retry.js'
import {
  cacheFlags,
  cacheUse,
  failedPlatform,
  type BuildOutput,
  type BuildSpec,
} from '../build/buildx-args.js'
import { formatPlatform } from '../model/platform.js'
import { defineStep, type Reveal } from './step.js'
import { settleBounded } from '../model/parallel.js'
import { candidateStrategy } from '../build/strategy.js'
import { progress } from '../model/progress.js'
import { imageAnnotations, imageMetadata } from './image-metadata.js'
import { buildSettingsOf, imageLabels } from '../build/build-settings.js'
import { LayoutCache } from '../ports/layout-cache.js'

/**
 * A manifest refused with 400 while pushing: registries answer so (MANIFEST_BLOB_UNKNOWN) when
 * another push of the same blobs, such as a concurrent run of this release, has not committed
 * them yet. The retry finds them there.
 */
const PUSH_RACE = /PUT request to \S+\/manifests\/\S+: 400 Bad Request/

function outputFor(
  ctx: Run,
  build: PlannedImage['build'],
  builder: BuilderFacts,
  workDir: string,
): BuildOutput {
  if (ctx.mode === 'build') return { kind: 'cache-only' }
  switch (candidateStrategy(builder.abilities)) {
    case 'push-by-digest':
      return { kind: 'push-by-digest', image: build.image.name }
    case 'oci-layout':
      return { kind: 'oci-layout', dir: join(workDir, `layout-${build.name}`) }
    case 'load-and-save':
      return {
        kind: 'load',
        tag: `multiarch-release-candidate:${ctx.env.runId}-${ctx.env.runAttempt}-${build.name}`,
      }
  }
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
async function diagnoseFailingPlatforms(ctx: Run, spec: BuildSpec): Promise<string | undefined> {
  if (spec.platforms.length < 2) return spec.platforms.map(formatPlatform)[0]
  const failing: string[] = []
  for (const platform of spec.platforms) {
    const result = await ctx.ports.engine.build({
      ...spec,
      platforms: [platform],
      output: { kind: 'cache-only' },
      metadataFile: `${spec.metadataFile}.diagnose`,
    })
    if (result.exitCode !== 0) failing.push(formatPlatform(platform))
  }
  return failing.length > 0 && failing.length < spec.platforms.length
    ? failing.join(', ')
    : undefined
}

/** The build of one image of this run, to the given output. */
export function buildSpecFor(
  ctx: Run,
  plan: ReleasePlan,
  image: PlannedImage,
  output: BuildOutput,
  metadataFile: string,
): BuildSpec {
  const { build } = image
  return {
    platforms: build.platforms,
    context: build.context,
    file: build.file,
    target: build.target,
    buildArgs: build.buildArgs,
    labels: imageLabels(imageMetadata(ctx, plan, build), build),
    annotations: imageAnnotations(ctx, plan, build, image.identity),
    output,
    metadataFile,
    provenance: ctx.inputs.provenance,
    sbom: ctx.inputs.sbom,
    builder: ctx.inputs.builder,
    // build-push-action's build inputs (secrets by id, values in buildx's environment only).
    ...buildSettingsOf(build, ctx.inputs.buildSecrets),
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
async function assembleImage(ctx: Run, plan: ReleasePlan, image: PlannedImage): Promise<Candidate> {
  const { build } = image
  const sources = ctx.inputs.platformDigests.map((d) => d.digest)
  const digest = await ctx.ports.registry.assemble(
    build.image,
    sources,
    imageAnnotations(ctx, plan, build, image.identity),
  )
  const ref = digestRef(build.image, digest)
  ctx.report.visible.push({ kind: 'candidate', ref })
  imageReport(ctx.report, build.name).candidate = { ref, digest }
  ctx.log.info(`Assembled ${ref} from ${sources.length} platform image(s), untagged`)
  return { image, ref, digest }
}

/**
 * Pushes what a build left on the runner (an OCI layout, or an image loaded into the classic
 * store and saved as one) by digest, untagged; the digest.
 */
async function pushCandidate(
  ctx: Run,
  spec: BuildSpec,
  image: PlannedImage,
): Promise<string | undefined> {
  const { registry, engine } = ctx.ports
  const { output } = spec
  // One platform's layout has no index buildx could annotate: its top gets the annotations.
  if (output.kind === 'oci-layout')
    return registry.pushLayout(
      image.build.image,
      output.dir,
      spec.platforms.length === 1 ? spec.annotations : undefined,
    )
  if (output.kind !== 'load') return undefined
  const layout = join(ctx.workDir, `saved-${image.build.name}`)
  const saved = await engine.saveImage(output.tag, layout)
  await engine.removeImage(output.tag)
  if (!saved.ok) throw new StepFailure(`saving the built image failed: ${tail(saved.error, 4)}`)
  // The classic store keeps no manifest annotations: the pushed manifest gets them back.
  return registry.pushLayout(image.build.image, layout, spec.annotations)
}

/**
 * The builds of one image: one for every platform, or one per platform in a build-only run on
 * a builder that cannot build several platforms into one image (the docker driver on the
 * classic image store), each into the cache, which the smoke step then loads one at a time.
 */
function buildsOf(spec: BuildSpec, builder: BuilderFacts): BuildSpec[] {
  if (spec.output.kind !== 'cache-only' || builder.abilities.multiPlatform) return [spec]
  return spec.platforms.map((platform) => ({
    ...spec,
    platforms: [platform],
    metadataFile: `${spec.metadataFile}.${formatPlatform(platform).replaceAll('/', '-')}`,
  }))
}

/** Builds one image and pushes its candidate (or, in a build-only run, keeps it in the cache). */
async function buildImage(
  ctx: Run,
  plan: ReleasePlan,
  image: PlannedImage,
  builder: BuilderFacts,
): Promise<Candidate | undefined> {
  const { build } = image
  const output = outputFor(ctx, build, builder, ctx.workDir)
  const layouts = ctx.env.toolCache
    ? new LayoutCache(join(ctx.env.toolCache, 'multiarch-release', 'oci-layouts'))
    : undefined
  if (layouts && output.kind === 'oci-layout' && (await layouts.claim(build.name, output.dir)))
    ctx.log.info(
      `Exporting into the OCI layout kept from the last release on this runner: only new blobs are written`,
    )
  const metadataFile = join(ctx.workDir, `build-metadata-${build.name}.json`)
  const spec = buildSpecFor(ctx, plan, image, output, metadataFile)
  const report = imageReport(ctx.report, build.name)
  report.cache = { cached: 0, steps: 0 }
  for (const one of buildsOf(spec, builder)) {
    const used = await runBuild(ctx, plan, build.name, one)
    report.cache = {
      cached: report.cache.cached + used.cached,
      steps: report.cache.steps + used.steps,
    }
  }
  if (output.kind === 'cache-only') return undefined
  const digest =
    output.kind === 'push-by-digest'
      ? await readBuildDigest(metadataFile)
      : await pushCandidate(ctx, spec, image)
  // Pushed: the layout goes back to the runner's cache for the next release's export.
  if (layouts && output.kind === 'oci-layout') await layouts.keep(build.name, output.dir)
  if (digest === undefined) return undefined
  const ref = digestRef(build.image, digest)
  report.candidate = { ref, digest }
  ctx.report.visible.push({ kind: 'candidate', ref })
  ctx.log.info(`Pushed the candidate ${ref}, untagged`)
  return { image, ref, digest }
}

/** One `docker buildx build`, retried on a registry hiccup; how much of it came from the cache. */
async function runBuild(
  ctx: Run,
  plan: ReleasePlan,
  name: string,
  spec: BuildSpec,
): Promise<{ cached: number; steps: number }> {
  const several = ctx.inputs.components.length > 1
  const what = several ? `component ${name}: ` : ''
  const platforms =
    spec.platforms.length === 1
      ? spec.platforms.map(formatPlatform).join('')
      : `${spec.platforms.length} platform(s)`
  // A registry hiccup while pushing is retried: the build cache makes the retry cheap.
  const result = await ctx.log.group(`Build ${what}${platforms}`, () =>
    retryCommand(
      'pushing the candidate',
      () => ctx.ports.engine.build(spec, { stream: true, sourceDateEpoch: plan.commitTime }),
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
    const platform = failedPlatform(result.stderr) ?? (await diagnoseFailingPlatforms(ctx, spec))
    const errors = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('ERROR') || l.includes('did not complete successfully'))
    const where = [several ? `component ${name}` : '', platform ?? '']
      .filter((w) => w !== '')
      .join(', ')
    throw new StepFailure(
      `the build failed${where ? ` for ${where}` : ''}: ${tail(errors.length > 0 ? errors.join('\n') : result.stderr, 6)}`,
    )
  }
  return cacheUse(result.stderr)
}

/** An image whose digest an earlier run verified: its candidate is that digest. */
const reused = (image: PlannedImage): Candidate[] =>
  image.reuse ? [{ image, ref: image.reuse.ref, digest: image.reuse.digest }] : []

/** Where the plan says an image's candidate would go: untagged, never a final tag. */
function candidateOf(ctx: Run, image: PlannedImage, builder: BuilderFacts): Reveal[] {
  if (ctx.mode === 'build') return []
  const how =
    ctx.inputs.platformDigests.length > 0
      ? 'an index of the platform digests, untagged'
      : candidateStrategy(builder.abilities) === 'push-by-digest'
        ? 'pushed by digest, no tag'
        : 'pushed by digest by the action, no tag'
  return [{ kind: 'untagged manifest', ref: image.build.image.name, announced: false, note: how }]
}

export const build = defineStep({
  name: 'build',
  why: 'build every platform of every image with buildx and push each index by digest, untagged: no tag exists before promotion',
  needs: ['builder', 'plan', 'images'],
  gives: ['candidates'],
  skip: (_ctx, { images }) =>
    images && images.length > 0 && images.every((image) => image.reuse)
      ? `the digest of this commit was already verified (${images[0]?.reuse?.from ?? ''}): no rebuild`
      : undefined,
  pass: (_ctx, { images }) => ({ candidates: images.flatMap(reused) }),
  reveals: (ctx, { images = [], builder }) =>
    builder
      ? images.filter((image) => !image.reuse).flatMap((image) => candidateOf(ctx, image, builder))
      : [],
  async run(ctx, { builder, plan, images }) {
    const pending = images.filter((image) => !image.reuse)
    const assembling = ctx.inputs.platformDigests.length > 0
    const step = progress('build', pending.length)
    const results = await settleBounded(pending, PARALLEL_BUILDS, async (image) => {
      const started = Date.now()
      const platforms = image.build.platforms.map(formatPlatform).join(', ')
      const what = images.length > 1 ? `component ${image.build.name} (${platforms})` : platforms
      try {
        const candidate = await (assembling
          ? assembleImage(ctx, plan, image)
          : buildImage(ctx, plan, image, builder))
        ctx.log.info(step(what, 'done', Date.now() - started))
        return candidate
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
    const built = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []))
    // In the order of the inputs: reused and built images alike.
    const candidates = images.flatMap(
      (image) => built.find((c) => c.image === image) ?? reused(image),
    )
    return { candidates }
  },
  remedy: (ctx) =>
    ctx.report.visible.some((v) => v.kind === 'candidate')
      ? 're-run the workflow; only unannounced candidate references were pushed'
      : 'fix the build and re-run the workflow; nothing was pushed',
})
