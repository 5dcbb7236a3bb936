import type { Run } from '../run/run.js'
import type { ReleasePlan } from '../run/artifacts.js'
import { StepFailure, messageOf } from '../model/errors.js'
import type { Release } from '../ports/github.js'
import semver from 'semver'
import { decideLatest } from '../model/history.js'
import { latestDecision } from '../model/release-options.js'
import { CONCURRENT_REMEDY, releaseHistory } from './promote.js'
import { defineStep, skipWhenReleaseDone } from './step.js'

/**
 * The Release of this version that another run published for the same commit, with this
 * run's own draft removed if it is another one; undefined when there is none.
 */
async function adoptPublished(
  ctx: Run,
  plan: ReleasePlan,
  draft: Release,
): Promise<Release | undefined> {
  const { github } = ctx.ports
  const existing = await github.publishedRelease(plan.gitTag)
  if (!existing) return undefined
  const tagCommit = await github.tagCommit(plan.gitTag)
  if (tagCommit !== plan.commit) {
    throw new StepFailure(
      `${plan.gitTag} was published meanwhile for commit ${tagCommit?.slice(0, 12) ?? 'unknown'}, not ${plan.commit.slice(0, 12)}`,
      'check which run released this version; release a new version if this one is taken',
    )
  }
  if (existing.id !== draft.id) {
    await github.deleteRelease(draft.id)
    ctx.log.info(
      `${plan.gitTag} was published by another run (#${existing.id}); this run's draft #${draft.id} was removed`,
    )
  }
  return existing
}

/** GitHub answers 404 for a category the repository lacks and for a token without discussions. */
function discussionFailure(error: unknown, category: string | undefined): unknown {
  if (category === undefined || !/discussion/i.test(messageOf(error))) return error
  return new StepFailure(
    messageOf(error),
    `check that the discussion category '${category}' exists in the repository and that the job has "permissions: discussions: write", then re-run the workflow: the image is promoted; the re-run only publishes the Release`,
  )
}

export const publish = defineStep({
  name: 'publish',
  why: 'make the Release visible only once every final tag reads back as the promoted digest',
  needs: ['plan', 'draft', 'promoted', 'latest', 'lease'],
  gives: ['published'],
  skip: skipWhenReleaseDone,
  async reveals(ctx, { plan }) {
    if (!plan) return []
    const options = ctx.inputs.releaseOptions
    if (options.draft) {
      return [
        {
          kind: 'draft',
          ref: plan.gitTag,
          announced: false,
          note: 'release-draft: the Release stays a draft for a person to review and publish',
        },
      ]
    }
    const latest = latestDecision(
      options.makeLatest,
      decideLatest(
        new semver.SemVer(plan.version),
        plan.channel,
        await releaseHistory(ctx),
        plan.maintenance?.branch,
      ),
      plan.channel.kind !== 'stable',
    )
    const kind = latest.latest ? 'the latest Release' : `not the latest Release (${latest.reason})`
    return [
      {
        kind: 'release',
        ref: plan.gitTag,
        announced: true,
        note: `${kind}, with the git tag ${plan.gitTag} at ${plan.commit.slice(0, 12)}`,
      },
    ]
  },
  async run(ctx, { plan, draft, promoted, latest: history, lease }) {
    // Every final tag of every image, read back at once.
    await Promise.all(
      promoted.map(async ({ ref, digest }) => {
        const current = await ctx.ports.registry.manifest(ref, { expectPresent: true })
        if (current?.digest !== digest) {
          throw new StepFailure(
            `${ref} resolves to ${current?.digest ?? 'nothing'}, not to the promoted ${digest}; the Release stays a draft`,
            current ? CONCURRENT_REMEDY : undefined,
          )
        }
      }),
    )
    const stable = plan.channel.kind === 'stable'
    const options = ctx.inputs.releaseOptions
    if (options.draft) {
      // A re-run finds the same draft and leaves it too: only a person publishes it.
      ctx.report.latest = {
        latest: false,
        reason: 'the Release is a draft awaiting review; whoever publishes it decides',
      }
      ctx.report.awaitingReview = { id: draft.id, url: draft.htmlUrl }
      ctx.log.info(
        `release-draft: the Release ${plan.gitTag} stays a draft awaiting review (${draft.htmlUrl}); every tag is promoted and every asset uploaded`,
      )
      return { published: undefined }
    }
    // Decided by promote under the lease, from the history (a hotfix of an older line is never
    // Latest), unless make-latest says otherwise; floating image tags follow the history alone.
    const latest = latestDecision(options.makeLatest, history, !stable)
    ctx.report.latest = latest
    ctx.log.info(
      `The Release ${latest.latest ? 'becomes' : 'does not become'} GitHub's Latest: ${latest.reason}`,
    )
    await lease?.keep()
    let published: Release
    try {
      // A concurrent run may have published this version already.
      published =
        (await adoptPublished(ctx, plan, draft)) ??
        (await ctx.ports.github.publish(draft.id, {
          prerelease: !stable,
          makeLatest: latest.latest,
          ...(options.discussionCategory !== undefined && {
            discussionCategory: options.discussionCategory,
          }),
        }))
    } catch (error) {
      const adopted = await adoptPublished(ctx, plan, draft)
      if (!adopted) throw discussionFailure(error, options.discussionCategory)
      published = adopted
    }
    ctx.report.visible.push({ kind: 'release', id: published.id, url: published.htmlUrl })
    ctx.log.info(`Published ${published.htmlUrl}`)
    return { published }
  },
  remedy: () => 're-run the workflow: the image is promoted; the re-run only publishes the Release',
})
