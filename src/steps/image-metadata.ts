import { ociMetadata } from '../build/buildx-args.js'
import { buildSettingsIdentity, imageLabels } from '../build/build-settings.js'
import { BUILD_IDENTITY_ANNOTATION, buildIdentity } from '../model/build-identity.js'
import type { ImageBuild } from '../model/inputs.js'
import { formatPlatform } from '../model/platform.js'
import type { BuilderFacts, ReleasePlan } from '../run/artifacts.js'
import type { Run } from '../run/run.js'

/** The OCI labels of one image of this run (its annotations add the build identity). */
export function imageMetadata(
  run: Run,
  plan: ReleasePlan,
  build: ImageBuild,
): Record<string, string> {
  const title = run.inputs.components.length > 1 ? build.name : run.env.repo || build.name
  return ociMetadata({
    version: plan.version,
    revision: plan.commit,
    source: `${run.env.serverUrl}/${run.env.owner}/${run.env.repo}`,
    created: new Date(plan.commitTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    title,
  })
}

/**
 * What this run's build of an image is made from: a digest is reused only when it records the
 * same identity. A release job assembling native runners' digests is identified by them.
 */
export function identityOf(
  run: Run,
  plan: ReleasePlan,
  build: ImageBuild,
  builder: BuilderFacts,
): string {
  const own = imageMetadata(run, plan, build)
  const assembling = run.inputs.platformDigests.length > 0
  return buildIdentity({
    commit: plan.commit,
    version: plan.version,
    platforms: build.platforms.map(formatPlatform),
    context: build.context,
    file: build.file,
    target: build.target,
    buildArgs: build.buildArgs,
    provenance: run.inputs.provenance,
    sbom: run.inputs.sbom,
    driver: assembling ? '' : builder.driver,
    labels: imageLabels(own, build),
    annotations: own,
    // The user's build inputs: secret ids (never values) and what changes what is built.
    ...buildSettingsIdentity(build, run.inputs.buildSecrets),
    ...(assembling ? { sources: run.inputs.platformDigests.map((d) => d.digest) } : {}),
  })
}

/** The annotations of one image's index and manifests: its labels and its build identity. */
export function imageAnnotations(
  run: Run,
  plan: ReleasePlan,
  build: ImageBuild,
  identity: string,
): Record<string, string> {
  return { ...imageMetadata(run, plan, build), [BUILD_IDENTITY_ANNOTATION]: identity }
}
