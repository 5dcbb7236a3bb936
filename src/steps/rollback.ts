import type { RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { finalTags } from '../model/tags.js'
import { channelOfVersion } from '../model/version.js'
import { annotationsOf } from '../model/oci.js'
import { assertIndex } from './assert-manifest.js'
import type { Step } from './step.js'

const VERSION = 'org.opencontainers.image.version'

/** Checks that the version was released: its published Release and every image with every platform. */
export const checkRollback: Step = {
  name: 'check-rollback',
  why: 'refuse a version that was never released, before anything moves',
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
    ctx.plan = { version: version.version, channel, commit, commitTime: 0, gitTag, tags }
    ctx.release = release
    ctx.visible.push({ kind: 'release', id: release.id, url: release.htmlUrl })
    for (const run of ctx.images) {
      const ref = tagRef(run.build.image, versionTag)
      const manifest = await ports.registry.manifest(ref)
      if (!manifest) {
        throw new StepFailure(
          `${version.version} was never released as an image: ${ref} does not exist`,
          'roll back to a version whose images are in the registry',
        )
      }
      run.candidate = { ref, digest: manifest.digest }
      await assertIndex(ctx, run, manifest.digest)
    }
    ctx.log.info(`Rolling back to ${version.version} (${gitTag}, ${release.htmlUrl})`)
  },
  remedy: () => 'nothing moved; fix the version and run again',
}

/** Moves the floating tags (1.2, 1, latest or the channel's) back to the version, each read back. */
export const moveFloatingTags: Step = {
  name: 'move-tags',
  why: 'point the floating tags at the version rolled back to: on purpose backwards',
  async run(ctx) {
    const { plan } = ctx
    if (!plan) throw new Error('the rollback must be checked first')
    for (const { tag } of plan.tags.filter((t) => t.kind === 'floating')) {
      for (const run of ctx.images) {
        const { candidate } = run
        if (!candidate) throw new Error('the rollback must be checked first')
        const ref = tagRef(run.build.image, tag)
        const current = await ctx.ports.registry.manifest(ref)
        const from = current
          ? `${annotationsOf(current)[VERSION] ?? 'an unknown version'} (${current.digest})`
          : 'nothing'
        if (current?.digest !== candidate.digest) {
          await ctx.lease?.keep()
          await ctx.ports.registry.copy(digestRef(run.build.image, candidate.digest), ref)
          const back = await ctx.ports.registry.manifest(ref, { expectPresent: true })
          if (back?.digest !== candidate.digest) {
            throw new StepFailure(
              `${ref} was written but reads back as ${back?.digest ?? 'nothing'}`,
            )
          }
        }
        const to = `${plan.version} (${candidate.digest})`
        ctx.moves.push({ ref, from, to })
        ctx.visible.push({ kind: 'tag', ref, floating: true })
        ctx.log.info(`${ref}: ${from} -> ${to}`)
      }
    }
  },
  remedy: () => 'run the rollback again: it moves the tags that are not moved yet',
}

/** Marks the version's Release as the latest again (stable versions only). */
export const markLatest: Step = {
  name: 'mark-latest',
  why: 'make the Release of the version rolled back to the repository’s latest',
  skip: (ctx: RunContext) =>
    ctx.plan?.channel.kind === 'prerelease'
      ? 'a prerelease is never the latest Release'
      : undefined,
  async run(ctx) {
    if (!ctx.release) throw new Error('the rollback must be checked first')
    await ctx.ports.github.markLatest(ctx.release.id)
  },
  remedy: () => 'run the rollback again: the tags already point at the version',
}
