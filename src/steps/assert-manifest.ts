import type { Run } from '../run/run.js'
import type { Candidate, CheckedImage, PlatformManifest } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import type { ImageConfig } from '../model/oci.js'
import { StepFailure } from '../model/errors.js'
import { digestRef } from '../model/image-ref.js'
import { formatPlatform, parsePlatform } from '../model/platform.js'
import { checkIndexPlatforms, configMatches, describePlatformCheck } from '../model/manifest.js'
import { INDEX_MEDIA_TYPES, asIndex } from '../model/oci.js'
import { defineStep, imageLabel } from './step.js'

/** imagetools names platforms as linux/arm/v7; the index check as linux/arm. */
function normalizeKey(key: string): string {
  const parsed = parsePlatform(key)
  return typeof parsed === 'string' ? key : formatPlatform(parsed)
}

/** Reads a pushed index back and checks it holds exactly the requested platforms, each real. */
export async function assertIndex(ctx: Run, candidate: Candidate): Promise<CheckedImage> {
  const { registry } = ctx.ports
  const { build } = candidate.image
  const { image, platforms } = build
  const { digest } = candidate
  const report = imageReport(ctx.report, build.name)
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
    const name = formatPlatform(only)
    report.platforms.set(name, { platform: name, manifestDigest: digest })
    return {
      candidate,
      platforms: [{ name, platform: only, manifestDigest: digest, config }],
    }
  }
  const check = checkIndexPlatforms(asIndex(manifest), platforms)
  const problems = describePlatformCheck(check)
  // Every child must resolve, and its config must be built for the platform its entry claims:
  // one read for all platforms, and one per platform only to name what failed.
  const configs = await registry.indexConfigs(ref).then(
    (found) => new Map([...found].map(([key, config]) => [normalizeKey(key), config])),
    () => undefined,
  )
  const checked: PlatformManifest[] = []
  await Promise.all(
    [...check.entries].map(async ([name, descriptor]) => {
      const childRef = digestRef(image, descriptor.digest)
      let config: ImageConfig | undefined = configs?.get(name)
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
      report.platforms.set(name, {
        ...(report.platforms.get(name) ?? { platform: name }),
        manifestDigest: descriptor.digest,
      })
      const platform = platforms.find((p) => formatPlatform(p) === name)
      if (platform) checked.push({ name, platform, manifestDigest: descriptor.digest, config })
    }),
  )
  if (problems.length > 0) {
    throw new StepFailure(
      `the index ${ref} does not hold exactly the requested platforms: ${problems.join('; ')}`,
    )
  }
  report.attestations = check.attestations
  ctx.log.info(
    `Index ${digest} holds ${[...check.entries.keys()].join(', ')}${check.attestations > 0 ? ` and ${check.attestations} attestation manifest(s)` : ''}`,
  )
  // In the order the platforms were asked for.
  const order = platforms.map(formatPlatform)
  return {
    candidate,
    platforms: checked.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name)),
  }
}

export const assertManifest = defineStep({
  name: 'assert-manifest',
  why: 'read the pushed index back: exactly the requested platforms, every child resolves, no final tag yet',
  needs: ['candidates'],
  gives: ['checked'],
  skip: (ctx) => (ctx.mode === 'build' ? 'build-only run: nothing was pushed' : undefined),
  pass: () => ({ checked: [] }),
  async run(ctx, { candidates }) {
    const checked: CheckedImage[] = []
    for (const candidate of candidates) {
      try {
        checked.push(await assertIndex(ctx, candidate))
      } catch (error) {
        // Several components: say which one.
        if (error instanceof StepFailure && candidates.length > 1) {
          throw new StepFailure(
            `${imageLabel(ctx, candidate.image.build)}: ${error.message}`,
            error.remedy,
          )
        }
        throw error
      }
    }
    return { checked }
  },
  remedy: () =>
    'check the Dockerfile and the platforms input, then re-run the workflow; only an unannounced candidate reference was pushed, no final tag',
})
