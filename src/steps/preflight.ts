import semver from 'semver'
import type { RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { formatPlatform } from '../model/platform.js'
import {
  releasedVersions,
  resolveVersion,
  type Bump,
  type ResolvedVersion,
} from '../model/version.js'
import type { Step } from './step.js'

const MIN_BUILDX = '0.12.0'

/** The version a run releases: explicit input, a pushed v* tag, or the next one after the repository's tags. */
async function planVersion(ctx: RunContext, commit: string): Promise<ResolvedVersion> {
  const { inputs, env, ports } = ctx
  let explicit = inputs.version
  const tagRef = /^refs\/tags\/v?(\d+\.\d+\.\d+\S*)$/.exec(env.ref)?.[1]
  if (explicit === undefined && tagRef !== undefined) explicit = semver.parse(tagRef) ?? undefined
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

export const preflight: Step = {
  name: 'preflight',
  why: 'check the engine, the builder and the version before spending time building',
  async run(ctx) {
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

    const commit = ctx.env.sha || (await ports.git.head()) || ''
    if (!/^[0-9a-f]{40}$/.test(commit)) {
      throw new StepFailure(
        'the commit to build is unknown: GITHUB_SHA is not set and the workspace is not a git checkout',
        'run the action in a workflow job after actions/checkout',
      )
    }
    const { version, channel } = await planVersion(ctx, commit)
    const commitTime = (await ports.git.commitTime(commit)) ?? Math.floor(Date.now() / 1000)
    ctx.plan = { version: version.version, channel, commit, commitTime }
    log.info(
      `Version ${version.version} (${channel.kind === 'stable' ? 'stable' : channel.name} channel) from commit ${commit}`,
    )
  },
  remedy: () => 'fix the cause above and re-run the workflow; nothing was built or pushed',
}
