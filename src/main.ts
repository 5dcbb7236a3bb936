import * as core from '@actions/core'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { newImageRun, visibility, type Logger, type RunContext } from './context.js'
import { InputError, ReleaseError, messageOf } from './model/errors.js'
import { envInputReader, parseInputs, type Inputs } from './model/inputs.js'
import { RELEASE_EVENTS, decideTrigger } from './model/trigger.js'
import { readRunEnvironment, type RunEnvironment } from './model/run-env.js'
import { PIPELINE, ROLLBACK_PIPELINE, runPipeline } from './pipeline.js'
import { DockerEngine } from './ports/engine.js'
import { GitCli } from './ports/git.js'
import { OctokitGitHub, type GitHub } from './ports/github.js'
import { CosignSigner } from './ports/signer.js'
import { retryPolicy } from './ports/retry.js'
import { HttpRegistry } from './ports/registry/http.js'
import { ImagetoolsRegistry } from './ports/registry/imagetools.js'
import { RoutedRegistry } from './ports/registry/routed.js'
import { collectOutputs, emptyOutputs, planOutputs, type ActionOutputs } from './report/outputs.js'
import { previewOfTrigger, previewRelease, type ReleasePreview } from './plan/preview.js'
import { planFailure, renderPlanMarkdown, renderPlanText } from './plan/render.js'
import { failureAnnotation, removedContainersSection, renderSummary } from './report/summary.js'
import { cancelOnSignals } from './ports/cancellation.js'
import { processAlive, thisProcess } from './ports/host-process.js'
import type { RemovedContainer } from './model/container-owner.js'
import { rememberForPost, runLabel } from './post/state.js'
import { removeEarlierLeftovers } from './smoke/leftovers.js'

const coreLogger: Logger = {
  info: (message) => {
    core.info(message)
  },
  warning: (message) => {
    core.warning(message)
  },
  group: (title, fn) => core.group(title, fn),
}

/** mode plan: the plan in the log, the job summary and the plan output; it fails as the run would. */
async function reportPlan(
  preview: ReleasePreview,
  outputs: ActionOutputs,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  core.info(renderPlanText(preview))
  for (const [name, value] of Object.entries(planOutputs(outputs, preview)))
    core.setOutput(name, value)
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderPlanMarkdown(preview)).write()
  const failure = planFailure(preview)
  if (failure !== undefined) core.setFailed(failure)
}

/**
 * The default branch, which always releases: from the event, or (a schedule event names no
 * repository) from the API. Build-only runs never ask: a fork's pull request has no API access.
 */
async function resolveDefaultBranch(
  runEnv: RunEnvironment,
  mode: Inputs['mode'],
  github: GitHub,
): Promise<string> {
  const fromEvent = (runEnv.payload.repository as { default_branch?: unknown } | undefined)
    ?.default_branch
  if (typeof fromEvent === 'string' && fromEvent !== '') return fromEvent
  const mayRelease =
    mode !== 'build' &&
    RELEASE_EVENTS.includes(runEnv.eventName) &&
    runEnv.ref.startsWith('refs/heads/')
  return mayRelease ? github.defaultBranch() : 'main'
}

/** The action: read inputs, run the pipeline, set outputs, report. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let inputs
  let runEnv
  try {
    runEnv = readRunEnvironment(env)
    const workspace = runEnv.workspace
    inputs = parseInputs(
      envInputReader(env),
      (path) => existsSync(resolve(workspace, path)),
      (path) =>
        existsSync(resolve(workspace, path))
          ? readFileSync(resolve(workspace, path), 'utf8')
          : undefined,
    )
  } catch (error) {
    // Bad input: fail before any side effect, naming every input to fix.
    core.setFailed(
      error instanceof InputError ? error.message : `Invalid configuration: ${messageOf(error)}`,
    )
    return
  }
  for (const secret of [
    inputs.githubToken,
    inputs.registryCredentials?.password ?? '',
    inputs.signing.kind === 'key' ? inputs.signing.key : '',
    inputs.signing.kind === 'key' ? inputs.signing.password : '',
  ]) {
    if (secret !== '') core.setSecret(secret)
  }
  // One AbortController for the whole run: the first SIGINT or SIGTERM ends every wait at once.
  const cancellation = cancelOnSignals((signal) => {
    core.warning(
      `${signal} received: the run stops at the next safe point and reports where things stand`,
    )
  })
  const github = new OctokitGitHub({
    apiUrl: runEnv.apiUrl,
    token: inputs.githubToken,
    owner: runEnv.owner,
    repo: runEnv.repo,
    backoffMs: runEnv.backoffMs,
    warn: (m) => {
      core.warning(m)
    },
    signal: cancellation.abortSignal,
  })
  let defaultBranch: string
  try {
    defaultBranch = await resolveDefaultBranch(runEnv, inputs.mode, github)
  } catch (error) {
    core.setFailed(
      `The repository's default branch could not be read, so whether this branch releases is unknown: ${messageOf(error)}\nRemedy: re-run the workflow; give the token 'contents: read' at least`,
    )
    return
  }
  const trigger = decideTrigger({
    mode: inputs.mode,
    eventName: runEnv.eventName,
    payload: runEnv.payload,
    sha: runEnv.sha,
    ref: runEnv.ref,
    repository: `${runEnv.owner}/${runEnv.repo}`,
    tagPrefix: inputs.tagPrefix,
    defaultBranch,
    releaseBranches: inputs.releaseBranches,
  })
  if (trigger.kind === 'refuse' || trigger.kind === 'skip') {
    // Decided from the event alone: nothing was touched.
    const outputs = emptyOutputs(inputs, trigger.kind === 'skip' ? trigger.reason : '')
    if (inputs.mode === 'plan')
      return reportPlan(previewOfTrigger(inputs, runEnv.eventName, trigger, PIPELINE), outputs, env)
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    if (trigger.kind === 'refuse') {
      core.setFailed(`${trigger.reason}\nRemedy: ${trigger.remedy}`)
    } else {
      core.info(`Skipped: ${trigger.reason}`)
      if (env.GITHUB_STEP_SUMMARY) {
        await core.summary.addRaw(`## multiarch-release: skipped\n\n${trigger.reason}\n`).write()
      }
    }
    return
  }
  if (trigger.kind === 'build' && trigger.reason !== undefined)
    core.notice(`Built only, nothing pushed: ${trigger.reason}`)
  const workDir = await mkdtemp(join(runEnv.tempDir || tmpdir(), 'multiarch-release-'))
  // The post step removes what this attempt leaves, even when it is killed a moment later.
  const owner = {
    run: runLabel(runEnv.runId, runEnv.runAttempt),
    repository: `${runEnv.owner}/${runEnv.repo}`,
    process: thisProcess(),
  }
  rememberForPost({
    run: owner.run,
    repository: owner.repository,
    workDir,
    // The registries preflight logs in to, known now: a kill before its logout leaves them to post.
    loggedIn: inputs.registryCredentials
      ? [...new Set(inputs.components.map((c) => c.image.registry))]
      : [],
  })
  const ctx: RunContext = {
    cancellation,
    inputs,
    env: runEnv,
    ports: {
      engine: new DockerEngine(undefined, {
        owner,
        cancellation: cancellation.abortSignal,
      }),
      registry: new RoutedRegistry(
        new HttpRegistry(
          (m) => {
            core.warning(m)
          },
          retryPolicy(runEnv.backoffMs, cancellation.abortSignal),
        ),
        new ImagetoolsRegistry(
          (m) => {
            core.warning(m)
          },
          retryPolicy(runEnv.backoffMs, cancellation.abortSignal),
        ),
        (m) => {
          core.debug(m)
        },
      ),
      git: new GitCli(runEnv.workspace),
      ...(inputs.signing.kind !== 'none'
        ? {
            signer: new CosignSigner(inputs.signing, workDir, {
              serverUrl: runEnv.serverUrl,
              owner: runEnv.owner,
              repo: runEnv.repo,
            }),
          }
        : {}),
      github,
    },
    log: coreLogger,
    mode:
      trigger.kind === 'release' && (inputs.mode === 'build-platform' || inputs.mode === 'rollback')
        ? inputs.mode
        : trigger.kind,
    moves: [],
    loggedIn: [],
    trigger,
    workDir,
    images: inputs.components.map(newImageRun),
    visible: [],
    timeline: [],
  }
  if (inputs.mode === 'plan') {
    const preview = await core.group(
      'Reading what the run would start from (nothing is written)',
      () => previewRelease(ctx, PIPELINE),
    )
    return reportPlan(preview, collectOutputs(ctx), env)
  }
  // Containers that killed runs left on this engine go, once their run is certainly over.
  let leftovers: RemovedContainer[] = []
  try {
    leftovers = await removeEarlierLeftovers(ctx.ports.engine, owner, processAlive)
    for (const c of leftovers) core.info(`Removed ${c.name}, left by run ${c.run}: ${c.reason}`)
  } catch (error) {
    core.warning(`Left-over containers of earlier runs were not removed: ${messageOf(error)}`)
  }
  let failure: ReleaseError | undefined
  try {
    await runPipeline(ctx, ctx.mode === 'rollback' ? ROLLBACK_PIPELINE : PIPELINE)
  } catch (error) {
    failure =
      error instanceof ReleaseError
        ? error
        : new ReleaseError(
            'internal',
            messageOf(error),
            visibility(ctx),
            'report this as a bug with the log',
          )
  }
  // Whatever happened, the next run need not wait for the lease to expire.
  if (ctx.lease) {
    await ctx.lease.release().catch((error: unknown) => {
      core.warning(
        `The release lease could not be given back (${messageOf(error)}); it expires by itself`,
      )
    })
  }
  // Credentials given as inputs do not outlive the run.
  for (const registry of ctx.loggedIn) await ctx.ports.engine.logout(registry)
  for (const [name, value] of Object.entries(collectOutputs(ctx))) core.setOutput(name, value)
  if (env.GITHUB_STEP_SUMMARY) {
    await core.summary
      .addRaw(renderSummary(ctx, failure) + removedContainersSection(leftovers))
      .write()
  }
  if (failure) {
    // One annotation with a title that names the step; its message ends with the remedy.
    const { title, message } = failureAnnotation(failure)
    core.error(message, { title })
    process.exitCode = core.ExitCode.Failure
  }
}
