import semver from 'semver'
import type { RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { tagRef } from '../model/image-ref.js'
import { formatPlatform } from '../model/platform.js'
import { finalTags } from '../model/tags.js'
import {
  releasedVersions,
  resolveVersion,
  type Bump,
  type ResolvedVersion,
} from '../model/version.js'
import { annotationsOf } from '../ports/registry.js'
import { resolveAssets } from '../release/assets.js'
import type { Step } from './step.js'

const MIN_BUILDX = '0.12.0'
const REVISION = 'org.opencontainers.image.revision'

/** The tag that remembers the digest of a commit that passed every check, so a re-run skips the build. */
export const verifiedTag = (commit: string): string => `verified-${commit.slice(0, 12)}`

/** The version a run releases: explicit input, a pushed v* tag, or the next one after the repository's tags. */
async function planVersion(ctx: RunContext, commit: string): Promise<ResolvedVersion> {
  const { inputs, env, ports } = ctx
  let explicit = inputs.version
  const tagRefVersion = /^refs\/tags\/v?(\d+\.\d+\.\d+\S*)$/.exec(env.ref)?.[1]
  if (explicit === undefined && tagRefVersion !== undefined) {
    explicit = semver.parse(tagRefVersion) ?? undefined
  }
  const tags = explicit === undefined ? await ports.git.tags() : []
  if (
    explicit === undefined &&
    tags.length === 0 &&
    ctx.mode === 'release' &&
    (await ports.git.isShallow())
  ) {
    throw new StepFailure(
      `the next version cannot be computed: the checkout of ${commit.slice(0, 12)} is shallow and has no tags`,
      "check out with history and tags (actions/checkout with 'fetch-depth: 0'), or set the 'version' input",
    )
  }
  const bump: Bump = inputs.bump === 'auto' ? 'patch' : inputs.bump
  const resolved = resolveVersion({
    ...(explicit ? { explicit } : {}),
    channel: inputs.channel,
    bump,
    released: releasedVersions(tags),
  })
  if (typeof resolved === 'string') {
    throw new StepFailure(
      resolved,
      "make the 'version' and 'channel' inputs agree, or leave channel at auto",
    )
  }
  return resolved
}

async function checkEngine(ctx: RunContext): Promise<void> {
  const { inputs, ports, log } = ctx
  const info = await ports.engine.info()
  log.info(
    `Docker engine ${info.serverVersion}, buildx ${info.buildxVersion}, builder '${info.builder.name}' (${info.builder.driver} driver)`,
  )
  if (semver.lt(info.buildxVersion, MIN_BUILDX)) {
    throw new StepFailure(
      `buildx ${info.buildxVersion} is too old: ${MIN_BUILDX} or newer is needed for index annotations and metadata files`,
      'update buildx (docker/setup-buildx-action installs a current one)',
    )
  }
  if (info.builder.driver === 'docker' && inputs.platforms.length > 1 && !info.containerdStore) {
    throw new StepFailure(
      `the builder '${info.builder.name}' uses the docker driver on an engine without the containerd image store, which cannot build several platforms into one image`,
      'add docker/setup-buildx-action before this step (it creates a docker-container builder), or enable "features": {"containerd-snapshotter": true} in /etc/docker/daemon.json',
    )
  }
  const unsupported = inputs.platforms
    .map(formatPlatform)
    .filter((p) => !info.builder.platforms.includes(p))
  if (unsupported.length > 0) {
    throw new StepFailure(
      `the builder '${info.builder.name}' cannot build ${unsupported.join(', ')} (it supports ${info.builder.platforms.join(', ') || 'no platform'})`,
      'install QEMU emulation before this step (docker/setup-qemu-action), or build those platforms on native runners',
    )
  }
  ctx.builderDriver = info.builder.driver
}

/**
 * What earlier runs left: a version that is taken by another commit stops the run here; the
 * same commit's promoted or verified digest is reused, and its published Release is kept.
 */
async function checkEarlierRuns(ctx: RunContext): Promise<void> {
  const { plan } = ctx
  if (!plan) return
  const { registry, github } = ctx.ports
  const image = ctx.inputs.image
  const short = (sha: string): string => sha.slice(0, 12)

  const tagCommit = await github.tagCommit(plan.gitTag)
  if (tagCommit !== undefined && tagCommit !== plan.commit) {
    throw new StepFailure(
      `the git tag ${plan.gitTag} already points at commit ${short(tagCommit)}, not at ${short(plan.commit)}; released versions are immutable`,
      "release a new version (bump it, or set the 'version' input); never move a released tag",
    )
  }
  const published = await github.publishedRelease(plan.gitTag)
  if (published && tagCommit === plan.commit) {
    ctx.release = published
    ctx.releaseDone = true
    ctx.visible.push({ kind: 'release', id: published.id, url: published.htmlUrl })
  }

  const versionRef = tagRef(image, plan.version)
  const existing = await registry.manifest(versionRef)
  if (existing) {
    const revision = annotationsOf(existing)[REVISION]
    if (revision !== plan.commit) {
      throw new StepFailure(
        `${versionRef} already exists with digest ${existing.digest}, built from ${revision ? `commit ${short(revision)}` : 'an unknown commit'}, not ${short(plan.commit)}; version tags are immutable`,
        "release a new version (bump it, or set the 'version' input); never overwrite a released image",
      )
    }
    ctx.candidate = { ref: versionRef, digest: existing.digest }
    ctx.reused = 'version tag'
    ctx.visible.push({ kind: 'tag', ref: versionRef, floating: false })
    ctx.log.info(
      `${versionRef} already holds ${existing.digest} from this commit: it is reused, not rebuilt`,
    )
    return
  }
  const verified = await registry.manifest(tagRef(image, verifiedTag(plan.commit)))
  if (verified && annotationsOf(verified)[REVISION] === plan.commit) {
    ctx.candidate = { ref: tagRef(image, verifiedTag(plan.commit)), digest: verified.digest }
    ctx.reused = 'verified marker'
    ctx.visible.push({ kind: 'candidate', ref: ctx.candidate.ref })
    ctx.log.info(
      `${ctx.candidate.ref} holds ${verified.digest}, which already passed every check: it is reused, not rebuilt`,
    )
  }
}

export const preflight: Step = {
  name: 'preflight',
  why: 'check the engine, the token, the version and what earlier runs left, before spending time building',
  async run(ctx) {
    await checkEngine(ctx)
    const commit = ctx.env.sha || (await ctx.ports.git.head()) || ''
    if (!/^[0-9a-f]{40}$/.test(commit)) {
      throw new StepFailure(
        'the commit to build is unknown: GITHUB_SHA is not set and the workspace is not a git checkout',
        'run the action in a workflow job after actions/checkout',
      )
    }
    const { version, channel } = await planVersion(ctx, commit)
    const commitTime = (await ctx.ports.git.commitTime(commit)) ?? Math.floor(Date.now() / 1000)
    ctx.plan = {
      version: version.version,
      channel,
      commit,
      commitTime,
      gitTag: `v${version.version}`,
      tags: finalTags(version.version, channel),
    }
    ctx.log.info(
      `Version ${version.version} (${channel.kind === 'stable' ? 'stable' : channel.name} channel) from commit ${commit}`,
    )
    if (ctx.mode !== 'release') return
    if (ctx.inputs.githubToken === '') {
      throw new StepFailure(
        "the 'github-token' input is empty, so the Release cannot be published",
        "pass 'github-token: ${{ github.token }}' (the default) with 'permissions: contents: write'",
      )
    }
    await resolveAssets(ctx.env.workspace, ctx.inputs.releaseAssets)
    await checkEarlierRuns(ctx)
  },
  remedy: () => 'fix the cause above and re-run the workflow; nothing was built or pushed',
}
