import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunContext } from '../context.js'
import { StepFailure } from '../model/errors.js'
import { digestRef, tagRef } from '../model/image-ref.js'
import { tail } from '../ports/process.js'
import { TRANSIENT_FAILURE, retryCommand, retryPolicy } from '../ports/retry.js'
import {
  buildxBuildArgs,
  candidateTag,
  failedPlatform,
  ociMetadata,
  type BuildOutput,
  type BuildPlan,
} from '../build/buildx-args.js'
import { formatPlatform } from '../model/platform.js'
import type { Step } from './step.js'

/** The OCI labels and annotations of this run's image. */
export function imageMetadata(ctx: RunContext): Record<string, string> {
  const plan = ctx.plan
  if (!plan) throw new Error('preflight must plan the release before the build')
  const title = ctx.env.repo || ctx.inputs.image.path.split('/').pop() || ctx.inputs.image.name
  return ociMetadata({
    version: plan.version,
    revision: plan.commit,
    source: `${ctx.env.serverUrl}/${ctx.env.owner}/${ctx.env.repo}`,
    created: new Date(plan.commitTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    title,
  })
}

function outputFor(ctx: RunContext, commit: string): BuildOutput {
  if (ctx.mode === 'build') return { kind: 'cache-only' }
  if (ctx.builderDriver === 'docker') {
    return {
      kind: 'push-tag',
      ref: tagRef(ctx.inputs.image, candidateTag(commit, ctx.env.runId, ctx.env.runAttempt)),
    }
  }
  return { kind: 'push-by-digest', image: ctx.inputs.image.name }
}

/** Reads the index digest that buildx wrote to its metadata file. */
async function readBuildDigest(metadataFile: string): Promise<string> {
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>
  const digest = metadata['containerimage.digest']
  if (typeof digest !== 'string' || !digest.startsWith('sha256:')) {
    throw new StepFailure(`buildx wrote no image digest to its metadata file ${metadataFile}`)
  }
  return digest
}

/**
 * When buildx's log does not say which platform failed (a scratch stage's steps carry no
 * platform), builds each platform alone from the warm cache and names the failing ones.
 */
async function diagnoseFailingPlatforms(
  ctx: RunContext,
  plan: BuildPlan,
): Promise<string | undefined> {
  if (plan.platforms.length < 2) return plan.platforms.map(formatPlatform)[0]
  const failing: string[] = []
  for (const platform of plan.platforms) {
    const args = buildxBuildArgs({
      ...plan,
      platforms: [platform],
      output: { kind: 'cache-only' },
      metadataFile: join(ctx.workDir, 'diagnose-metadata.json'),
    })
    const result = await ctx.ports.engine.docker(args)
    if (result.exitCode !== 0) failing.push(formatPlatform(platform))
  }
  return failing.length > 0 && failing.length < plan.platforms.length
    ? failing.join(', ')
    : undefined
}

/** The build of this run's inputs, to the given output. */
export function buildPlanFor(
  ctx: RunContext,
  output: BuildOutput,
  metadataFile: string,
): BuildPlan {
  const { inputs } = ctx
  const metadata = imageMetadata(ctx)
  return {
    platforms: inputs.platforms,
    context: inputs.context,
    file: inputs.file,
    target: inputs.target,
    buildArgs: inputs.buildArgs,
    labels: metadata,
    annotations: metadata,
    output,
    metadataFile,
    provenance: inputs.provenance,
  }
}

export const build: Step = {
  name: 'build',
  why: 'build every platform in one buildx run and push the index to a candidate reference, never a final tag',
  skip: (ctx) =>
    ctx.reused
      ? `the digest of this commit was already verified (${ctx.reused}): no rebuild`
      : undefined,
  async run(ctx) {
    const { inputs, plan } = ctx
    if (!plan) throw new Error('preflight must plan the release before the build')
    const output = outputFor(ctx, plan.commit)
    const metadataFile = join(ctx.workDir, 'build-metadata.json')
    const buildPlan = buildPlanFor(ctx, output, metadataFile)
    const args = buildxBuildArgs(buildPlan)
    // A registry hiccup while pushing is retried: the build cache makes the retry cheap.
    const result = await ctx.log.group(`Build ${inputs.platforms.length} platform(s)`, () =>
      retryCommand(
        'pushing the candidate',
        () =>
          ctx.ports.engine.docker(args, {
            stream: true,
            env: { SOURCE_DATE_EPOCH: String(plan.commitTime) },
          }),
        (message) => {
          ctx.log.warning(message)
        },
        retryPolicy(ctx.env.backoffMs),
        (r) => /push/i.test(r.stderr) && TRANSIENT_FAILURE.test(tail(r.stderr, 8)),
      ),
    )
    if (result.exitCode !== 0) {
      const platform =
        failedPlatform(result.stderr) ?? (await diagnoseFailingPlatforms(ctx, buildPlan))
      const errors = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('ERROR') || l.includes('did not complete successfully'))
      throw new StepFailure(
        `the build failed${platform ? ` for ${platform}` : ''}: ${tail(errors.length > 0 ? errors.join('\n') : result.stderr, 6)}`,
      )
    }
    if (output.kind === 'cache-only') {
      ctx.log.info('Built every platform; nothing was pushed (build-only run)')
      return
    }
    const digest = await readBuildDigest(metadataFile)
    const ref = output.kind === 'push-tag' ? output.ref : digestRef(inputs.image, digest)
    ctx.candidate = { ref, digest }
    ctx.visible.push({ kind: 'candidate', ref })
    ctx.log.info(`Pushed candidate ${ref} (${digest})`)
  },
  remedy: (ctx) =>
    ctx.candidate
      ? 're-run the workflow; only an unannounced candidate reference was pushed'
      : 'fix the build and re-run the workflow; nothing was pushed',
}
