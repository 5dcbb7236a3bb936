import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { finalTags } from '../model/tags.js'
import { channelOfVersion } from '../model/version.js'
import { annotationsOf } from '../model/oci.js'
import type { Candidate, CheckedImage } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import { assertIndex } from './assert-manifest.js'
import { defineStep } from './step.js'

const VERSION = 'org.opencontainers.image.version'

/** Checks that the version was released: its published Release and every image with every platform. */
export const checkRollback = defineStep({
  name: 'check-rollback',
  why: 'refuse a version that was never released, before anything moves',
  needs: [],
  gives: ['plan', 'candidates', 'checked', 'published'],
  async run(ctx) {
    const { inputs, ports } = ctx
    const version = inputs.version
    if (!version) throw new StepFailure('mode rollback needs the version input')
    const gitTag = `${inputs.tagPrefix}${version.version}`
    const release = await ports.github.publishedRelease(gitTag)
    if (!release) {
      throw new StepFailure(
        `${version.version} was never released: there is no published Release for ${gitTag}`,
        'roll back to a version that has a published Release',
      )
    }
    const channel = channelOfVersion(version)
    const tags = finalTags(version.version, channel, inputs.tagScheme)
    if (typeof tags === 'string') throw new StepFailure(tags)
    const versionTag = tags.find((t) => t.kind === 'version')?.tag ?? version.version
    const commit = (await ports.github.tagCommit(gitTag)) ?? ''
    const plan = { version: version.version, channel, commit, commitTime: 0, gitTag, tags }
    ctx.report.version = plan.version
    ctx.report.gitTag = gitTag
    ctx.report.visible.push({ kind: 'release', id: release.id, url: release.htmlUrl })
    const candidates: Candidate[] = []
    const checked: CheckedImage[] = []
    for (const build of inputs.components) {
      const ref = tagRef(build.image, versionTag)
      const manifest = await ports.registry.manifest(ref)
      if (!manifest) {
        throw new StepFailure(
          `${version.version} was never released as an image: ${ref} does not exist`,
          'roll back to a version whose images are in the registry',
        )
      }
      // A rollback builds nothing: the released digest is the candidate, already public.
      const image = { build, identity: '', reuse: undefined }
      const candidate = { image, ref, digest: manifest.digest, pushedTags: [] }
      imageReport(ctx.report, build.name).candidate = { ref, digest: manifest.digest }
      candidates.push(candidate)
      checked.push(await assertIndex(ctx, candidate))
    }
    ctx.log.info(`Rolling back to ${version.version} (${gitTag}, ${release.htmlUrl})`)
    return { plan, candidates, checked, published: release }
  },
  remedy: () => 'nothing moved; fix the version and run again',
})

/** Moves the floating tags (1.2, 1, latest or the channel's) back to the version, each read back. */
export const moveFloatingTags = defineStep({
  name: 'move-tags',
  why: 'point the floating tags at the version rolled back to: on purpose backwards',
  needs: ['plan', 'candidates', 'lease'],
  gives: [],
  async run(ctx, { plan, candidates, lease }) {
    for (const { tag } of plan.tags.filter((t) => t.kind === 'floating')) {
      for (const { image, digest } of candidates) {
        const { build } = image
        const ref = tagRef(build.image, tag)
        const current = await ctx.ports.registry.manifest(ref)
        const from = current
          ? `${annotationsOf(current)[VERSION] ?? 'an unknown version'} (${current.digest})`
          : 'nothing'
        if (current?.digest !== digest) {
          await lease?.keep()
          await ctx.ports.registry.copy(digestRef(build.image, digest), ref)
          const back = await ctx.ports.registry.manifest(ref, { expectPresent: true })
          if (back?.digest !== digest) {
            throw new StepFailure(
              `${ref} was written but reads back as ${back?.digest ?? 'nothing'}`,
            )
          }
        }
        const to = `${plan.version} (${digest})`
        ctx.report.moves.push({ ref, from, to })
        ctx.report.visible.push({ kind: 'tag', ref, floating: true })
        ctx.log.info(`${ref}: ${from} -> ${to}`)
      }
    }
    return {}
  },
  remedy: () => 'run the rollback again: it moves the tags that are not moved yet',
})

/** Marks the version's Release as the latest again (stable versions only). */
export const markLatest = defineStep({
  name: 'mark-latest',
  why: 'make the Release of the version rolled back to the repository’s latest',
  needs: ['published'],
  gives: [],
  skip: (_ctx, { plan }) =>
    plan?.channel.kind === 'prerelease' ? 'a prerelease is never the latest Release' : undefined,
  async run(ctx, { published }) {
    if (!published) throw new StepFailure('the Release of the version is not published')
    await ctx.ports.github.markLatest(published.id)
    return {}
  },
  remedy: () => 'run the rollback again: the tags already point at the version',
})
