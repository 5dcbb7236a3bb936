import * as core from '@actions/core'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger, Run } from './run/run.js'
import { newReport, visibility } from './run/report.js'
import { InputError, ReleaseError, messageOf } from './model/errors.js'
import { envInputReader, parseInputs, type Inputs } from './model/inputs.js'
import { secretsToMask } from './model/build-secrets.js'
import { RELEASE_EVENTS, decideTrigger } from './model/trigger.js'
import { readRunEnvironment, type RunEnvironment } from './model/run-env.js'
import { PIPELINE, ROLLBACK_PIPELINE, runPipeline, type Found } from './pipeline.js'
import type { GitHub } from './ports/github.js'
import { adapters, gitHubPort, workspaceFiles } from './compose.js'
import { collectOutputs, emptyOutputs, type ActionOutputs } from './report/outputs.js'
import { previewOfTrigger, previewRelease, type ReleasePreview } from './plan/preview.js'
import { planFailure, planOutputs, renderPlanMarkdown, renderPlanText } from './plan/render.js'
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
    const workspace = workspaceFiles(runEnv.workspace)
    inputs = parseInputs(
      envInputReader(env),
      workspace.exists,
      workspace.readText,
      workspace.inside,
      runEnv,
    )
  } catch (error) {
    // Bad input: fail before any side effect, naming every input to fix.
    core.setFailed(
      error instanceof InputError ? error.message : `Invalid configuration: ${messageOf(error)}`,
    )
    return
  }
  for (const notice of inputs.notices) core.notice(notice)
  for (const secret of [
    inputs.githubToken,
    inputs.registryCredentials?.password ?? '',
    inputs.signing.kind === 'key' ? inputs.signing.key : '',
    inputs.signing.kind === 'key' ? inputs.signing.password : '',
    ...secretsToMask(inputs.buildSecrets.values),
  ]) {
    if (secret !== '') core.setSecret(secret)
  }
  // One AbortController for the whole run: the first SIGINT or SIGTERM ends every wait at once.
  const cancellation = cancelOnSignals((signal) => {
    core.warning(
      `${signal} received: the run stops at the next safe point and reports where things stand`,
    )
  })
  const github = gitHubPort(runEnv, inputs, coreLogger, cancellation.abortSignal)
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
  const undo: { what: string; undo: () => Promise<void> }[] = []
  const run: Run = {
    cancellation,
    inputs,
    env: runEnv,
    ports: {
      ...adapters(runEnv, inputs, workDir, coreLogger, {
        owner,
        signal: cancellation.abortSignal,
      }),
      github,
    },
    log: coreLogger,
    mode:
      trigger.kind === 'release' && (inputs.mode === 'build-platform' || inputs.mode === 'rollback')
        ? inputs.mode
        : trigger.kind,
    trigger,
    workDir,
    report: newReport(inputs.components),
    onExit: {
      add: (what, fn) => {
        undo.push({ what, undo: fn })
      },
    },
  }
  if (inputs.mode === 'plan') {
    const preview = await core.group(
      'Reading what the run would start from (nothing is written)',
      () => previewRelease(run, PIPELINE),
    )
    return reportPlan(preview, collectOutputs(run), env)
  }
  // Containers that killed runs left on this engine go, once their run is certainly over.
  let leftovers: RemovedContainer[] = []
  try {
    leftovers = await removeEarlierLeftovers(run.ports.engine, owner, processAlive)
    for (const c of leftovers) core.info(`Removed ${c.name}, left by run ${c.run}: ${c.reason}`)
  } catch (error) {
    core.warning(`Left-over containers of earlier runs were not removed: ${messageOf(error)}`)
  }
  const found: Found = {}
  let failure: ReleaseError | undefined
  try {
    await runPipeline(run, run.mode === 'rollback' ? ROLLBACK_PIPELINE : PIPELINE, found)
  } catch (error) {
    failure =
      error instanceof ReleaseError
        ? error
        : new ReleaseError(
            'internal',
            messageOf(error),
            visibility(run.report),
            'report this as a bug with the log',
          )
  }
  // Whatever happened: the smoke containers are gone, the lease goes back, credentials given as
  // inputs are logged out.
  await run.ports.engine.removalsSettled()
  for (const { what, undo: fn } of undo.reverse()) {
    await fn().catch((error: unknown) => {
      core.warning(`Could not ${what} (${messageOf(error)})`)
    })
  }
  for (const [name, value] of Object.entries(collectOutputs(run))) core.setOutput(name, value)
  if (env.GITHUB_STEP_SUMMARY) {
    await core.summary
      .addRaw(renderSummary(run, failure) + removedContainersSection(leftovers))
      .write()
  }
  if (failure) {
    // One annotation with a title that names the step; its message ends with the remedy.
    const { title, message } = failureAnnotation(failure)
    core.error(message, { title })
    process.exitCode = core.ExitCode.Failure
  }
}
