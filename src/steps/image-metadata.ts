import type { ImageRun, RunContext } from '../context.js'
import { ociMetadata } from '../build/buildx-args.js'
import { BUILD_IDENTITY_ANNOTATION, buildIdentity } from '../model/build-identity.js'
import { formatPlatform } from '../model/platform.js'
import { buildSettingsIdentity, imageLabels } from '../build/build-settings.js'

/** The OCI labels of one image of this run (its annotations add the build identity). */
export function imageMetadata(ctx: RunContext, run: ImageRun): Record<string, string> {
  const plan = ctx.plan
  if (!plan) throw new Error('preflight must plan the release before the build')
  const title = ctx.images.length > 1 ? run.build.name : ctx.env.repo || run.build.name
  return ociMetadata({
    version: plan.version,
    revision: plan.commit,
    source: `${ctx.env.serverUrl}/${ctx.env.owner}/${ctx.env.repo}`,
    created: new Date(plan.commitTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    title,
  })
}

/**
 * What this run's build of an image is made from: a digest is reused only when it records the
 * same identity. A release job assembling native runners' digests is identified by them.
 */
export function identityOf(ctx: RunContext, run: ImageRun): string {
  const plan = ctx.plan
  if (!plan) throw new Error('preflight must plan the release before the build')
  const { build } = run
  const own = imageMetadata(ctx, run)
  const assembling = ctx.inputs.platformDigests.length > 0
  return buildIdentity({
    commit: plan.commit,
    version: plan.version,
    platforms: build.platforms.map(formatPlatform),
    context: build.context,
    file: build.file,
    target: build.target,
    buildArgs: build.buildArgs,
    provenance: ctx.inputs.provenance,
    sbom: ctx.inputs.sbom,
    driver: assembling ? '' : (ctx.builderDriver ?? ''),
    labels: imageLabels(own, build),
    annotations: own,
    // The user's build inputs: secret ids (never values) and what changes what is built.
    ...buildSettingsIdentity(build, ctx.inputs.buildSecrets),
    ...(assembling ? { sources: ctx.inputs.platformDigests.map((d) => d.digest) } : {}),
  })
}

/** The annotations of one image's index and manifests: its labels and its build identity. */
export function imageAnnotations(ctx: RunContext, run: ImageRun): Record<string, string> {
  return { ...imageMetadata(ctx, run), [BUILD_IDENTITY_ANNOTATION]: identityOf(ctx, run) }
}
