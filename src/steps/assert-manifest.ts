import { imageLabel, type ImageRun, type RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { digestRef } from '../model/image-ref.js'
import { formatPlatform, parsePlatform } from '../model/platform.js'
import { checkIndexPlatforms, configMatches, describePlatformCheck } from '../model/manifest.js'
import { INDEX_MEDIA_TYPES, asIndex } from '../model/oci.js'
import type { Step } from './step.js'

/** imagetools names platforms as linux/arm/v7; the index check as linux/arm. */
function normalizeKey(key: string): string {
  const parsed = parsePlatform(key)
  return typeof parsed === 'string' ? key : formatPlatform(parsed)
}

/** Reads a pushed index back and checks it holds exactly the requested platforms, each real. */
export async function assertIndex(ctx: RunContext, run: ImageRun, digest: string): Promise<void> {
  const { registry } = ctx.ports
  const { image, platforms } = run.build
  const ref = digestRef(image, digest)
  const manifest = await registry.manifest(ref, { expectPresent: true })
  if (manifest === undefined) throw new StepFailure(`the registry has no manifest at ${ref}`)
  if (manifest.digest !== digest) {
    throw new StepFailure(
      `the registry returned a manifest with digest ${manifest.digest} for ${ref}`,
    )
  }
  if (!INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
    // One platform pushed without attestations is a plain image manifest: its config must match.
    const [only] = platforms
    if (platforms.length !== 1 || only === undefined) {
      throw new StepFailure(
        `${ref} is a single manifest (${manifest.mediaType || 'no media type'}), not an index of platforms`,
      )
    }
    const config = await registry.imageConfig(ref)
    if (!configMatches(only, config)) {
      throw new StepFailure(
        `${ref} is an image for ${config.os}/${config.architecture}, not ${formatPlatform(only)}`,
      )
    }
    run.platforms.set(formatPlatform(only), {
      platform: formatPlatform(only),
      manifestDigest: digest,
    })
    return
  }
  const check = checkIndexPlatforms(asIndex(manifest), platforms)
  const problems = describePlatformCheck(check)
  // Every child must resolve, and its config must be built for the platform its entry claims:
  // one read for all platforms, and one per platform only to name what failed.
  const configs = await registry.indexConfigs(ref).then(
    (found) => new Map([...found].map(([key, config]) => [normalizeKey(key), config])),
    () => undefined,
  )
  await Promise.all(
    [...check.entries].map(async ([name, descriptor]) => {
      const childRef = digestRef(image, descriptor.digest)
      let config = configs?.get(name)
      if (config === undefined) {
        if ((await registry.manifest(childRef)) === undefined) {
          problems.push(`platform ${name}: its manifest ${descriptor.digest} does not resolve`)
          return
        }
        config = await registry.imageConfig(childRef)
      }
      if (descriptor.platform && !configMatches(descriptor.platform, config)) {
        problems.push(
          `platform ${name}: its image config says ${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}`,
        )
      }
      run.platforms.set(name, {
        ...(run.platforms.get(name) ?? { platform: name }),
        manifestDigest: descriptor.digest,
        config,
      })
    }),
  )
  if (problems.length > 0) {
    throw new StepFailure(
      `the index ${ref} does not hold exactly the requested platforms: ${problems.join('; ')}`,
    )
  }
  run.attestations = check.attestations
  ctx.log.info(
    `Index ${digest} holds ${[...check.entries.keys()].join(', ')}${check.attestations > 0 ? ` and ${check.attestations} attestation manifest(s)` : ''}`,
  )
}

export const assertManifest: Step = {
  name: 'assert-manifest',
  why: 'read the pushed index back: exactly the requested platforms, every child resolves, no final tag yet',
  skip: (ctx) => (ctx.mode === 'build' ? 'build-only run: nothing was pushed' : undefined),
  async run(ctx) {
    for (const run of ctx.images) {
      if (!run.candidate) throw new Error('the build must push a candidate before the assertion')
      try {
        await assertIndex(ctx, run, run.candidate.digest)
      } catch (error) {
        // Several components: say which one.
        if (error instanceof StepFailure && ctx.images.length > 1) {
          throw new StepFailure(`${imageLabel(ctx, run)}: ${error.message}`, error.remedy)
        }
        throw error
      }
    }
  },
  remedy: () =>
    'check the Dockerfile and the platforms input, then re-run the workflow; only an unannounced candidate reference was pushed, no final tag',
}
