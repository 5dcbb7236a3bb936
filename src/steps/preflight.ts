import semver from 'semver'
import type { Run } from '../run/run.js'
import type { BuilderFacts } from '../run/artifacts.js'
import { RegistryUnauthorized, StepFailure } from '../model/errors.js'
import { repositoryAccessRemedy } from '../model/remedies.js'
import { formatPlatform } from '../model/platform.js'
import { driverAbilities } from '../build/strategy.js'
import { WORKFLOW_RUN_CHECKOUT } from '../model/trigger.js'
import { findAssets } from '../release/assets.js'
import { tail } from '../ports/process.js'
import { tagRef, type ImageRepository } from '../model/image-ref.js'
import { PERMISSION_REMEDY } from '../ports/github.js'
import { defineStep } from './step.js'

const MIN_BUILDX = '0.12.0'

async function checkEngine(ctx: Run): Promise<BuilderFacts> {
  const { inputs, ports, log } = ctx
  const info = await ports.engine.info(inputs.builder)
  log.info(
    `Docker engine ${info.serverVersion}, buildx ${info.buildxVersion}, builder '${info.builder.name}' (${info.builder.driver} driver)`,
  )
  if (semver.lt(info.buildxVersion, MIN_BUILDX)) {
    throw new StepFailure(
      `buildx ${info.buildxVersion} is too old: ${MIN_BUILDX} or newer is needed for index annotations and metadata files`,
      'update buildx (docker/setup-buildx-action installs a current one)',
    )
  }
  const platforms = [...new Set(inputs.components.flatMap((c) => c.platforms.map(formatPlatform)))]
  const abilities = driverAbilities(info.builder.driver, info.containerdStore)
  const facts = { driver: info.builder.driver, abilities }
  // A release job that assembles the digests of native runners builds nothing here.
  if (ctx.mode === 'release' && inputs.platformDigests.length > 0) return facts
  // A build-only run builds and smoke-tests such a builder's platforms one at a time instead.
  if (
    ctx.mode !== 'build' &&
    !abilities.multiPlatform &&
    inputs.components.some((c) => c.platforms.length > 1)
  ) {
    throw new StepFailure(
      `the builder '${info.builder.name}' uses the docker driver on an engine without the containerd image store, which cannot build several platforms into one image`,
      'add docker/setup-buildx-action before this step (it creates a docker-container builder), or enable "features": {"containerd-snapshotter": true} in /etc/docker/daemon.json',
    )
  }
  if (inputs.cache !== 'none' && ctx.mode !== 'build' && info.builder.nodes > 1) {
    // docker/buildx#1044: every node exports to the same cache reference; the last one wins.
    log.warning(
      `the builder '${info.builder.name}' has ${info.builder.nodes} nodes, and buildx writes the ${inputs.cache} cache of one node only (docker/buildx#1044): the next build finds only that node's platforms cached. The release is not affected; for a full cache per platform, build each platform in its own job with mode: build-platform`,
    )
  }
  const unsupported = platforms.filter((p) => !info.builder.platforms.includes(p))
  if (unsupported.length > 0) {
    throw new StepFailure(
      `the builder '${info.builder.name}' cannot build ${unsupported.join(', ')} (it supports ${info.builder.platforms.join(', ') || 'no platform'})`,
      'install QEMU emulation before this step (docker/setup-qemu-action), or build those platforms on native runners',
    )
  }
  return facts
}

/** The workspace is what gets built: it must hold the commit the event releases. */
async function checkWorkspace(ctx: Run): Promise<void> {
  const head = await ctx.ports.git.head()
  const commit = ctx.trigger.commit
  if (head === undefined || head === commit) return
  const fix =
    ctx.env.eventName === 'workflow_run'
      ? `check out the commit CI tested:\n${WORKFLOW_RUN_CHECKOUT}`
      : `check out the commit of the event (actions/checkout with ref: ${commit})`
  throw new StepFailure(
    `the workspace is at commit ${head.slice(0, 12)}, but this run ${ctx.mode === 'release' ? 'releases' : 'builds'} commit ${commit.slice(0, 12)}; building the workspace would ship the wrong code`,
    fix,
  )
}

/** Logs in to every image's registry with registry-username: wrong credentials stop the run here. */
async function logIn(ctx: Run): Promise<void> {
  const credentials = ctx.inputs.registryCredentials
  if (!credentials) return
  const registries = [
    ...new Set(ctx.inputs.components.flatMap((build) => build.repositories.map((r) => r.registry))),
  ]
  for (const registry of registries) {
    const result = await ctx.ports.engine.login(
      registry,
      credentials.username,
      credentials.password,
    )
    if (!result.ok) {
      throw new StepFailure(
        `the registry ${registry} rejected the credentials of registry-username '${credentials.username}': ${tail(result.error, 2)}`,
        'check registry-username and registry-password (a token that may push to the repository)',
      )
    }
    // Credentials given as inputs do not outlive the run.
    ctx.onExit.add(`log out of ${registry}`, () => ctx.ports.engine.logout(registry))
    ctx.log.info(`Logged in to ${registry} as ${credentials.username}`)
  }
}

/** Signing needs cosign, and keyless signing GitHub's OIDC token: both are known before building. */
async function checkSigning(ctx: Run): Promise<void> {
  const { signing } = ctx.inputs
  if (signing.kind === 'none' || ctx.mode !== 'release') return
  if (!(await ctx.ports.signer?.available())) {
    throw new StepFailure(
      'sign is set but cosign is not installed',
      'add sigstore/cosign-installer before this step',
    )
  }
  if (signing.kind === 'keyless' && !ctx.env.oidc) {
    throw new StepFailure(
      'keyless signing needs an OIDC token, and this job has none',
      'give the job "permissions:\n  id-token: write" (and contents: write)',
    )
  }
}

/** A Release needs a token: an empty one fails here, in preflight's order. */
function checkTokenGiven(ctx: Run): Promise<void> {
  if (ctx.inputs.githubToken !== '') return Promise.resolve()
  return Promise.reject(
    new StepFailure(
      "the 'github-token' input is empty, so the Release cannot be published",
      "pass 'github-token: ${{ github.token }}' (the default) with 'permissions: contents: write'",
    ),
  )
}

/** The token may write to the repository (GitHub says so, or cannot tell). */
async function checkTokenWrites(ctx: Run): Promise<void> {
  if (ctx.inputs.githubToken === '') return
  if ((await ctx.ports.github.canWrite()) === false) {
    throw new StepFailure(
      `the token may read ${ctx.env.owner}/${ctx.env.repo} but not write to it, so the Release cannot be created`,
      PERMISSION_REMEDY,
    )
  }
}

/**
 * Waits for checks already running, in order: the first one that fails ends the wait at once
 * (the later ones finish on their own, their failures unreported), as if they had run one after
 * the other, only sooner.
 */
async function firstFailureInOrder<T extends readonly (Promise<unknown> | undefined)[]>(
  checks: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  for (const check of checks) check?.catch(() => undefined)
  const results: unknown[] = []
  for (const check of checks) results.push(await check)
  return results as { [K in keyof T]: Awaited<T[K]> }
}

/** The repositories this run writes to: every one of a release, the first for a platform job. */
function writtenRepositories(ctx: Run): ImageRepository[] {
  return ctx.inputs.components.flatMap((build) =>
    ctx.mode === 'build-platform' ? [build.image] : [...build.repositories],
  )
}

/**
 * One read, then a push check, per repository: credentials a registry rejects, or a repository
 * the run may read but not write, stop the run before the build and before any final tag.
 */
async function probeRegistries(ctx: Run): Promise<void> {
  const { registry } = ctx.ports
  for (const repository of writtenRepositories(ctx)) {
    try {
      // A tag nobody pushes: "not found" means the registry let us in.
      await registry.manifest(tagRef(repository, 'multiarch-release-access-check'))
      // A plan writes nothing, not even an upload it cancels.
      if (ctx.inputs.mode === 'plan' || !registry.pushAccess) continue
      if ((await registry.pushAccess(repository)) === undefined) {
        ctx.log.info(
          `${repository.registry} is reached through docker buildx imagetools, which cannot tell push access without writing: ${repository.name} is proven writable when the verified digest is copied there, before any final tag`,
        )
      }
    } catch (error) {
      if (!(error instanceof RegistryUnauthorized) || writtenRepositories(ctx).length < 2)
        throw error
      throw new StepFailure(
        `the run may not write to ${repository.name}: ${error.message}`,
        repositoryAccessRemedy(repository.name),
      )
    }
  }
}

export const preflight = defineStep({
  name: 'preflight',
  why: 'check the engine, the builder, the workspace and the token before spending time building',
  needs: [],
  gives: ['builder'],
  readOnly: true,
  async run(ctx) {
    if (!/^[0-9a-f]{40}$/.test(ctx.trigger.commit)) {
      throw new StepFailure(
        'the commit to build is unknown: GITHUB_SHA is not set',
        'run the action in a workflow job after actions/checkout',
      )
    }
    const publishes = ctx.mode === 'release' || ctx.mode === 'rollback'
    // The questions go to different places (the engine, git, the registries, GitHub, the
    // workspace) and only read: they are asked at once, so preflight takes as long as the
    // slowest, not their sum. The first failure in this order is the one reported.
    const [builder] = await firstFailureInOrder([
      checkEngine(ctx),
      ctx.mode !== 'rollback' ? checkWorkspace(ctx) : undefined,
      // A build-only run (a pull request, a fork) never needs registry credentials; a plan
      // reads with the Docker credentials already there: it never logs in.
      ctx.mode !== 'build'
        ? (ctx.inputs.mode !== 'plan' ? logIn(ctx) : Promise.resolve()).then(() =>
            probeRegistries(ctx),
          )
        : undefined,
      publishes ? checkTokenGiven(ctx) : undefined,
      // The files are only found here; the draft hashes them (a 200 MB asset is read once).
      ctx.mode === 'release' ? findAssets(ctx.env.workspace, ctx.inputs.releaseAssets) : undefined,
      publishes ? checkSigning(ctx) : undefined,
      // Before spending time building: a token that cannot publish would fail at the end.
      publishes ? checkTokenWrites(ctx) : undefined,
    ] as const)
    return { builder }
  },
  remedy: () => 'fix the cause above and re-run the workflow; nothing was built or pushed',
})
