import semver from 'semver'
import type { Run } from '../run/run.js'
import type { BuilderFacts, PlannedImage, ReleasePlan } from '../run/artifacts.js'
import { imageReport } from '../run/report.js'
import type { ImageBuild } from '../model/inputs.js'
import type { Release } from '../ports/github.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { intentFromLabels } from '../model/intent.js'
import { finalTags } from '../model/tags.js'
import {
  channelName,
  parseVersion,
  resolveVersion,
  type Bump,
  type ChannelInput,
  type ReleasedVersion,
} from '../model/version.js'
import { annotationsOf } from '../model/oci.js'
import { BUILD_IDENTITY_ANNOTATION, reuseVerdict } from '../model/build-identity.js'
import { readVerified, type VerifiedImage } from '../release/verified-record.js'
import { firstOfLine, outsideLine, type MaintenanceLine } from '../model/branch-policy.js'
import { describeLine, inLine } from '../model/history.js'
import { identityOf } from './image-metadata.js'
import { defineStep } from './step.js'

const short = (sha: string): string => sha.slice(0, 12)

/** 1.4.3-rc.1 → 1.4.3: which line a version belongs to. */
const coreVersion = (v: semver.SemVer): semver.SemVer =>
  new semver.SemVer(`${v.major}.${v.minor}.${v.patch}`)

const describeMaintenance = (m: MaintenanceLine): string =>
  `${describeLine(m.line)} from the maintenance branch ${m.branch}`

/** Bump and channel: the inputs when set, else the merged pull request's labels, else default-bump. */
async function releaseIntent(
  ctx: Run,
): Promise<{ bump: Bump; channel: ChannelInput } | { skip: string }> {
  const { inputs, ports, trigger, env } = ctx
  const defaultBranch =
    (env.payload.repository as { default_branch?: string } | undefined)?.default_branch ?? 'main'
  const pulls = await ports.github.pullRequestsOfCommit(trigger.commit)
  const merged =
    pulls.find((p) => p.mergedAt !== undefined && p.mergeCommitSha === trigger.commit) ??
    pulls.find((p) => p.mergedAt !== undefined && p.baseRef === defaultBranch)
  let labelled: { bump: Bump | undefined; channel: ChannelInput | undefined } = {
    bump: undefined,
    channel: undefined,
  }
  if (merged) {
    const intent = intentFromLabels(merged.labels, inputs.labels, merged.number)
    if (intent.kind === 'skip') return { skip: intent.reason }
    if (intent.kind === 'invalid') {
      throw new StepFailure(
        intent.reason,
        `fix the labels of pull request #${merged.number}, then re-run the workflow`,
      )
    }
    labelled = intent
    ctx.log.info(
      `Pull request #${merged.number} was merged as ${short(trigger.commit)}; labels: ${merged.labels.join(', ') || 'none'}`,
    )
  } else {
    ctx.log.info(
      `No pull request was merged as ${short(trigger.commit)}: default-bump (${inputs.defaultBump}) applies`,
    )
  }
  const bump = inputs.bump !== 'auto' ? inputs.bump : (labelled.bump ?? inputs.defaultBump)
  if (bump === 'none') {
    return {
      skip: `commit ${short(trigger.commit)} has no release label${merged ? ` on pull request #${merged.number}` : ' and no pull request'}, and default-bump is none`,
    }
  }
  const channel =
    inputs.channel.kind !== 'auto' ? inputs.channel : (labelled.channel ?? inputs.channel)
  return { bump, channel }
}

/** The explicit version: the input, else the pushed tag's. */
function explicitVersion(ctx: Run): semver.SemVer | undefined {
  if (ctx.inputs.version) return ctx.inputs.version
  const tagVersion = ctx.trigger.kind === 'release' ? ctx.trigger.tagVersion : undefined
  if (tagVersion === undefined) return undefined
  const parsed = parseVersion(tagVersion)
  if (typeof parsed === 'string') {
    throw new StepFailure(
      `the pushed tag ${ctx.inputs.tagPrefix}${tagVersion} is not a version: ${parsed}`,
      `push tags such as ${ctx.inputs.tagPrefix}1.2.3`,
    )
  }
  return parsed
}

/**
 * What earlier runs left: a version that is taken by another commit stops the run here; the
 * Release this commit already published is kept.
 */
async function publishedEarlier(ctx: Run, plan: ReleasePlan): Promise<Release | undefined> {
  const { github } = ctx.ports
  const tagCommit = await github.tagCommit(plan.gitTag)
  if (tagCommit !== undefined && tagCommit !== plan.commit) {
    throw new StepFailure(
      `the git tag ${plan.gitTag} already points at commit ${short(tagCommit)}, not at ${short(plan.commit)}; released versions are immutable`,
      "release a new version (bump it, or set the 'version' input); never move a released tag",
    )
  }
  const published = await github.publishedRelease(plan.gitTag)
  if (!published || tagCommit !== plan.commit) return undefined
  ctx.report.releaseDone = true
  ctx.report.visible.push({ kind: 'release', id: published.id, url: published.htmlUrl })
  return published
}

/**
 * One image: its version tag taken by another build stops the run; a digest of this very build
 * (same commit, same build identity) is reused, from the version tag or from the record of
 * verified digests an earlier run of this commit left.
 */
async function planImage(
  ctx: Run,
  plan: ReleasePlan,
  build: ImageBuild,
  builder: BuilderFacts | undefined,
  verified: readonly VerifiedImage[],
): Promise<PlannedImage> {
  if (builder === undefined) return { build, identity: '', reuse: undefined }
  const identity = identityOf(ctx, plan, build, builder)
  // A build-platform job pushes one platform; the release job looks at what earlier runs left.
  if (ctx.mode !== 'release') return { build, identity, reuse: undefined }
  const { registry } = ctx.ports
  const { image } = build
  const report = imageReport(ctx.report, build.name)
  const versionTag = plan.tags.find((t) => t.kind === 'version')?.tag ?? plan.version
  const versionRef = tagRef(image, versionTag)
  const expected = { commit: plan.commit, version: plan.version, identity }
  const existing = await registry.manifest(versionRef)
  if (existing) {
    const verdict = reuseVerdict(annotationsOf(existing), expected)
    if (!verdict.reuse) {
      throw new StepFailure(
        `${versionRef} already exists with digest ${existing.digest}, ${verdict.why}; version tags are immutable`,
        "release a new version (bump it, or set the 'version' input); never overwrite a released image",
      )
    }
    report.candidate = { ref: versionRef, digest: existing.digest }
    report.reused = 'version tag'
    ctx.report.visible.push({ kind: 'tag', ref: versionRef, floating: false })
    ctx.log.info(
      `${versionRef} already holds ${existing.digest}, built from this commit with the same inputs: it is reused, not rebuilt`,
    )
    return {
      build,
      identity,
      reuse: { from: 'version tag', ref: versionRef, digest: existing.digest },
    }
  }
  const recorded = verified.find((v) => v.image === image.name)
  if (!recorded) return { build, identity, reuse: undefined }
  const ref = digestRef(image, recorded.digest)
  const verdict = reuseVerdict(
    {
      'org.opencontainers.image.revision': plan.commit,
      'org.opencontainers.image.version': recorded.version,
      [BUILD_IDENTITY_ANNOTATION]: recorded.identity,
    },
    expected,
  )
  if (!verdict.reuse || !(await registry.manifest(ref))) {
    ctx.log.info(
      `${ref} passed every check in an earlier run but is not reused: ${verdict.reuse ? 'the registry no longer holds it' : verdict.why}; this run builds again (the build cache makes it cheap)`,
    )
    return { build, identity, reuse: undefined }
  }
  report.candidate = { ref, digest: recorded.digest }
  report.reused = 'verified record'
  ctx.log.info(
    `${ref}, built from this commit with the same inputs, already passed every check in an earlier run: it is reused, not rebuilt`,
  )
  return { build, identity, reuse: { from: 'verified record', ref, digest: recorded.digest } }
}

/** Every image of the run, planned at once, against one read of the verified record. */
async function planImages(
  ctx: Run,
  plan: ReleasePlan,
  builder: BuilderFacts | undefined,
): Promise<PlannedImage[]> {
  const verified = ctx.mode === 'release' ? await readVerified(ctx.ports.github, plan.commit) : []
  return Promise.all(
    ctx.inputs.components.map((build) => planImage(ctx, plan, build, builder, verified)),
  )
}

/** A build-only run labels its image with a version that can never be mistaken for a release. */
function buildVersion(ctx: Run): string {
  if (ctx.inputs.version) return ctx.inputs.version.version
  const pr = ctx.trigger.kind === 'build' ? ctx.trigger.pullRequest : undefined
  return pr !== undefined ? `0.0.0-pr.${pr}` : `0.0.0-build.${ctx.trigger.commit.slice(0, 7)}`
}

export const planRelease = defineStep({
  name: 'plan',
  why: 'decide the version and the tags from the inputs, the pushed tag or the merged pull request, and see what earlier runs left',
  needs: [],
  // The driver is part of each image's build identity; a plan reads on without it.
  wants: ['builder'],
  gives: ['plan', 'images', 'published'],
  readOnly: true,
  async run(ctx, { builder }) {
    const { inputs, trigger, ports } = ctx
    const commit = trigger.commit
    const commitTime = (await ports.git.commitTime(commit)) ?? Math.floor(Date.now() / 1000)
    if (ctx.mode === 'build') {
      const version = buildVersion(ctx)
      const plan: ReleasePlan = {
        version,
        channel: { kind: 'stable' },
        commit,
        commitTime,
        gitTag: '',
        tags: [],
      }
      ctx.report.version = version
      return { plan, images: await planImages(ctx, plan, builder), published: undefined }
    }
    const tags = await ports.github.tagsWithPrefix(inputs.tagPrefix)
    const released: ReleasedVersion[] = tags.flatMap((t) => {
      const parsed = parseVersion(t.name.slice(inputs.tagPrefix.length))
      return typeof parsed === 'string' ? [] : [{ version: parsed, commit: t.commit }]
    })
    const explicit = explicitVersion(ctx)
    let bump: Bump = 'patch'
    let channel: ChannelInput = inputs.channel
    if (explicit === undefined) {
      const intent = await releaseIntent(ctx)
      if ('skip' in intent) return { stop: intent.skip }
      ;({ bump, channel } = intent)
    }
    // A maintenance branch releases its own line: the next version of that line.
    const maintenance = trigger.kind === 'release' ? trigger.maintenance : undefined
    const resolved = resolveVersion({
      ...(explicit ? { explicit } : {}),
      channel,
      bump,
      released: maintenance
        ? released.filter((r) => inLine(maintenance.line, coreVersion(r.version)))
        : released,
      commit,
      initial: maintenance ? firstOfLine(maintenance.line) : inputs.initialVersion,
    })
    if (typeof resolved === 'string') {
      throw new StepFailure(
        resolved,
        "make the 'version' input, the channel input and the channel label agree",
      )
    }
    const outside = maintenance && outsideLine(resolved.version, maintenance)
    if (outside) {
      throw new StepFailure(
        outside,
        `release ${describeMaintenance(maintenance)} only (a patch, or set the 'version' input within it), or release the new line from the default branch`,
      )
    }
    const planned = finalTags(
      resolved.version.version,
      resolved.channel,
      inputs.tagScheme,
      commit,
      {
        maintenance: maintenance !== undefined,
      },
    )
    if (typeof planned === 'string')
      throw new StepFailure(planned, "fix the 'tags' or 'image-tag-prefix' input")
    const plan: ReleasePlan = {
      version: resolved.version.version,
      channel: resolved.channel,
      commit,
      commitTime,
      gitTag: `${inputs.tagPrefix}${resolved.version.version}`,
      tags: planned,
      ...(maintenance ? { maintenance } : {}),
    }
    ctx.log.info(
      `Version ${resolved.version.version} (${channelName(resolved.channel)} channel) of commit ${commit}; image tags ${planned.map((t) => t.tag).join(', ')}${maintenance ? `; maintenance branch ${maintenance.branch}: latest and GitHub's Latest stay where they are` : ''}`,
    )
    ctx.report.version = plan.version
    ctx.report.gitTag = plan.gitTag
    // A build-platform job pushes one platform; the release job looks at what earlier runs left.
    const published = ctx.mode === 'release' ? await publishedEarlier(ctx, plan) : undefined
    return { plan, images: await planImages(ctx, plan, builder), published }
  },
  remedy: () => 'fix the cause above and re-run the workflow; nothing was built or pushed',
})
