import { join } from 'node:path'
import { createHash } from 'node:crypto'
import type { Run } from '../run/run.js'
import type { Candidate, ReleasePlan } from '../run/artifacts.js'
import { tagRef } from '../model/image-ref.js'
import { formatPlatform } from '../model/platform.js'
import { StepFailure, messageOf } from '../model/errors.js'
import { checksumsFile, releaseBody } from '../model/release-notes.js'
import { releaseTitle } from '../model/release-options.js'
import { templateFields } from '../model/tags.js'
import type { AssetBody, Release } from '../ports/github.js'
import {
  CHECKSUMS_NAME,
  bytesBody,
  fileBody,
  hashFile,
  resolveAssets,
  type AssetFile,
} from '../release/assets.js'
import { readReleaseBody } from '../release/body-file.js'
import { defineStep, skipWhenReleaseDone } from './step.js'
import { CONCURRENT_REMEDY } from './promote.js'

/** The drafts of a tag, oldest first: drafts are invisible to GET /releases/tags, so they are listed. */
async function draftsOf(ctx: Run, tag: string): Promise<Release[]> {
  return (await ctx.ports.github.listReleases())
    .filter((r) => r.draft && r.tagName === tag)
    .sort((a, b) => a.id - b.id)
}

/** One draft per tag: the oldest is kept. */
async function findDraft(ctx: Run, tag: string): Promise<Release | undefined> {
  const { github } = ctx.ports
  const [keep, ...duplicates] = await draftsOf(ctx, tag)
  for (const duplicate of duplicates) {
    // A duplicate left by an earlier race goes when it is empty; one with files is left to a person.
    const assets = await github.listAssets(duplicate.id).catch(() => undefined)
    if (assets === undefined) continue // removed meanwhile by a concurrent run
    if (assets.length === 0) {
      await github.deleteRelease(duplicate.id)
      ctx.log.info(`Deleted the duplicate empty draft #${duplicate.id} for ${tag}`)
    } else {
      ctx.log.warning(`A second draft for ${tag} (#${duplicate.id}) holds files; it was left alone`)
    }
  }
  return keep
}

/**
 * No draft, but the Release may have been published meanwhile by a concurrent run: for this
 * commit it is adopted (the promotion then checks the tags hold this run's digest); for another
 * commit this run stops before making a second Release.
 */
async function publishedMeanwhile(ctx: Run, plan: ReleasePlan): Promise<Release | undefined> {
  const { github } = ctx.ports
  const published = await github.publishedRelease(plan.gitTag)
  if (!published) return undefined
  const commit = await github.tagCommit(plan.gitTag)
  if (commit !== plan.commit) {
    throw new StepFailure(
      `${plan.gitTag} was published meanwhile for commit ${commit?.slice(0, 12) ?? 'unknown'}, not ${plan.commit.slice(0, 12)}; no draft was made`,
      CONCURRENT_REMEDY,
    )
  }
  ctx.report.releaseDone = true
  ctx.report.visible.push({ kind: 'release', id: published.id, url: published.htmlUrl })
  ctx.log.info(
    `${plan.gitTag} was published meanwhile by another run (#${published.id}) for this commit: no draft is made, the promotion checks the tags`,
  )
  return published
}

/**
 * Uploads the assets and their SHA256SUMS, keeping identical ones and replacing the rest. Files
 * are streamed from disk, never read whole: the hashes were taken in chunks too.
 */
async function uploadAssets(
  ctx: Run,
  release: Release,
  files: readonly AssetFile[],
): Promise<void> {
  if (files.length === 0) return
  const { github } = ctx.ports
  const checksums = Buffer.from(checksumsFile(files))
  const all: { name: string; body: AssetBody; sha256: string; contentType: string }[] = [
    ...files.map((f) => ({
      name: f.name,
      body: fileBody(f),
      sha256: f.sha256,
      contentType: 'application/octet-stream',
    })),
    {
      name: CHECKSUMS_NAME,
      body: bytesBody(checksums),
      sha256: createHash('sha256').update(checksums).digest('hex'),
      contentType: 'text/plain',
    },
  ]
  const existing = await github.listAssets(release.id)
  for (const file of all) {
    const sha256 = `sha256:${file.sha256}`
    const present = existing.find((a) => a.name === file.name)
    if (present && present.state === 'uploaded' && present.digest === sha256) {
      ctx.log.info(`Asset ${file.name} is already uploaded`)
      continue
    }
    // A same-named asset (an older or half-uploaded copy) is replaced, never duplicated.
    if (present) await github.deleteAsset(present.id)
    try {
      await github.uploadAsset(release, file.name, file.body, file.contentType)
    } catch (error) {
      // A concurrent run may have uploaded the same file first: that copy is as good as ours.
      const now = (await github.listAssets(release.id)).find((a) => a.name === file.name)
      if (now?.state !== 'uploaded' || now.digest !== sha256) throw error
    }
    ctx.log.info(`Uploaded ${file.name} (${file.body.size} bytes)`)
  }
}

/** An OCI archive of each image's promoted digest, for air-gapped installs. */
async function ociArchives(
  ctx: Run,
  plan: ReleasePlan,
  candidates: readonly Candidate[],
): Promise<AssetFile[]> {
  if (!ctx.inputs.releaseOciArchives) return []
  const files: AssetFile[] = []
  for (const { image, digest } of candidates) {
    const name = `${image.build.name}-${plan.version}.oci.tar`
    const path = join(ctx.workDir, name)
    await ctx.log.group(`Archive ${image.build.image.name}@${digest}`, () =>
      ctx.ports.registry.archive(image.build.image, digest, plan.version, path),
    )
    files.push({ path, name, ...(await hashFile(path)) })
  }
  return files
}

export const draftRelease = defineStep({
  name: 'draft-release',
  why: 'prepare the Release as a draft, invisible to users, with its notes and assets, before any final tag',
  needs: ['plan', 'candidates'],
  gives: ['draft', 'published'],
  skip: skipWhenReleaseDone,
  async reveals(ctx, { plan }) {
    const tag = plan?.gitTag ?? ''
    const [draft] = await draftsOf(ctx, tag)
    return [
      {
        kind: 'draft',
        ref: tag,
        announced: false,
        note: draft ? `the draft #${draft.id} of an earlier run is reused` : 'a new draft',
      },
    ]
  },
  async run(ctx, { plan, candidates }) {
    const { inputs } = ctx
    const files = [
      ...(await resolveAssets(ctx.env.workspace, inputs.releaseAssets)),
      ...(await ociArchives(ctx, plan, candidates)),
    ]
    const section = candidates.map(({ image, digest }) => ({
      name: image.build.name,
      image: image.build.image.name,
      version: plan.version,
      digest,
      platforms: image.build.platforms.map(formatPlatform),
      // Every repository the image is released to, and its tags in each.
      repositories: image.build.repositories.map((r) => r.name),
      tags: image.build.repositories.flatMap((r) => plan.tags.map((t) => tagRef(r, t.tag))),
    }))
    const prerelease = plan.channel.kind === 'prerelease'
    const { releaseOptions } = inputs
    const name = releaseTitle(
      releaseOptions,
      plan.gitTag,
      templateFields(plan.version, plan.channel, plan.commit),
    )
    // Read on every run, so a re-run puts the file's current text in the draft.
    const given =
      releaseOptions.bodyPath === undefined
        ? inputs.releaseNotes
        : await readReleaseBody(ctx.env.workspace, releaseOptions.bodyPath)
    const { github } = ctx.ports
    let draft = await findDraft(ctx, plan.gitTag)
    if (!draft) {
      const published = await publishedMeanwhile(ctx, plan)
      if (published) return { draft: published, published }
    }
    if (draft) {
      draft = await github.updateDraft(draft.id, {
        commit: plan.commit,
        name,
        body: releaseBody(given ?? draft.body, section),
        prerelease,
      })
      ctx.log.info(`Reusing the draft #${draft.id} for ${plan.gitTag}`)
    } else {
      let notes = given
      if (notes === undefined) {
        try {
          notes = await github.generateNotes(plan.gitTag, plan.commit)
        } catch (error) {
          ctx.log.warning(
            `GitHub's release notes could not be generated (${messageOf(error)}); the image section stands alone`,
          )
          notes = ''
        }
      }
      draft = await github.createDraft({
        tag: plan.gitTag,
        commit: plan.commit,
        name,
        body: releaseBody(notes, section),
        prerelease,
      })
      ctx.log.info(`Created the draft #${draft.id} for ${plan.gitTag} at ${plan.commit}`)
      // A concurrent run (or a retried request) may have made one too: the oldest draft wins.
      const oldest = await findDraft(ctx, plan.gitTag)
      if (oldest && oldest.id !== draft.id) {
        ctx.log.info(
          `Draft #${oldest.id} for ${plan.gitTag} is older: it is used instead of #${draft.id}`,
        )
        draft = oldest
      }
    }
    ctx.report.visible.push({ kind: 'draft', id: draft.id, url: draft.htmlUrl })
    await uploadAssets(ctx, draft, files)
    return { draft, published: undefined }
  },
  remedy: () =>
    're-run the workflow: the verified candidate is reused (no rebuild), the draft is found again and completed; no final tag was written',
})
