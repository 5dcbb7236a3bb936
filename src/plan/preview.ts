import type { Run } from '../run/run.js'
import type { VisibleChange } from '../run/report.js'
import { given, type Found } from '../pipeline.js'
import { StepFailure, messageOf } from '../model/errors.js'
import { tagRef } from '../model/image-ref.js'
import type { Inputs } from '../model/inputs.js'
import { formatPlatform } from '../model/platform.js'
import type { Trigger } from '../model/trigger.js'
import { channelName } from '../model/version.js'
import type { AnyStep, Reveal } from '../steps/step.js'
import { readOnlyPorts } from './read-only-ports.js'

/** What one step would do: run, be skipped (and why), fail (and the remedy), or not be reached. */
export interface PlannedStep {
  readonly name: string
  readonly why: string
  readonly outcome: 'runs' | 'skipped' | 'fails' | 'not reached'
  /** Why it is skipped, why it fails, or where the run stops before it. */
  readonly reason?: string
  /** What it would make visible, in order. */
  readonly reveals: readonly Reveal[]
}

export interface PlannedImage {
  readonly name: string
  readonly image: string
  readonly platforms: readonly string[]
  /** The final references, in promotion order. */
  readonly tags: readonly string[]
  /** A digest of this commit that an earlier run verified: the release promotes it, no rebuild. */
  readonly reused?: { readonly from: string; readonly ref: string; readonly digest: string }
}

/** What a run would do, computed by reading only: the plan output, log and summary show it. */
export interface ReleasePreview {
  /** release; build: build only, nothing pushed; skip: nothing on purpose; refuse: the run fails. */
  readonly kind: 'release' | 'build' | 'skip' | 'refuse'
  readonly event: string
  readonly commit: string
  /** The version, or '' when none is decided. */
  readonly version: string
  readonly channel: string
  readonly gitTag: string
  readonly images: readonly PlannedImage[]
  readonly steps: readonly PlannedStep[]
  /** What earlier runs already made visible (a reused tag, a published Release). */
  readonly alreadyVisible: readonly string[]
  /** Why nothing would be released, when the run would skip on purpose. */
  readonly skipped?: string
  /** Each step that would fail; the run stops at the first. */
  readonly failures: readonly { step: string; cause: string; remedy: string }[]
  readonly notes: readonly string[]
}

function describeVisible(change: VisibleChange): string {
  switch (change.kind) {
    case 'candidate':
      return `untagged candidate ${change.ref}`
    case 'tag':
      return `${change.floating ? 'floating tag' : 'tag'} ${change.ref}`
    case 'draft':
      return `draft Release ${change.url}`
    case 'release':
      return `published Release ${change.url}`
  }
}

function imagesOf(run: Run, found: Found): PlannedImage[] {
  return run.inputs.components.map((build) => {
    const reuse = found.images?.find((image) => image.build === build)?.reuse
    return {
      name: build.name,
      image: build.image.name,
      platforms: build.platforms.map(formatPlatform),
      tags: (found.plan?.tags ?? []).map((t) => tagRef(build.image, t.tag)),
      ...(reuse ? { reused: { from: reuse.from, ref: reuse.ref, digest: reuse.digest } } : {}),
    }
  })
}

/**
 * Walks the pipeline without changing anything: the steps that only read (preflight, plan) run
 * for real on read-only ports; every other step is asked whether it would be skipped, and what
 * it would make visible. After a failure the run would stop: later steps are not reached.
 */
export async function previewRelease(
  source: Run,
  steps: readonly AnyStep[],
): Promise<ReleasePreview> {
  const run: Run = { ...source, ports: readOnlyPorts(source.ports) }
  const found: Found = {}
  const planned: PlannedStep[] = []
  const failures: { step: string; cause: string; remedy: string }[] = []
  const { report } = run
  for (const step of steps) {
    const base = { name: step.name, why: step.why, reveals: [] }
    const stop = failures[0] && `the run stops at ${failures[0].step}`
    if (stop && !step.readOnly) {
      planned.push({ ...base, outcome: 'not reached', reason: stop })
      continue
    }
    const skip = report.skipped ?? step.skip?.(run, found)
    if (skip !== undefined) {
      // What a skipped step hands on (the reused digests) is known without doing anything.
      if (report.skipped === undefined && step.pass && step.needs.every((n) => n in found))
        Object.assign(found, step.pass(run, given(step, found)))
      planned.push({ ...base, outcome: 'skipped', reason: skip })
      continue
    }
    if (step.readOnly) {
      if (!step.needs.every((n) => n in found)) {
        planned.push({ ...base, outcome: 'not reached', reason: stop ?? 'an earlier step failed' })
        continue
      }
      try {
        const out = await step.run(run, given(step, found))
        if ('stop' in out) report.skipped = out.stop
        else Object.assign(found, out)
      } catch (error) {
        const remedy =
          error instanceof StepFailure && error.remedy ? error.remedy : step.remedy(run)
        failures.push({ step: step.name, cause: messageOf(error), remedy })
        planned.push({ ...base, outcome: 'fails', reason: messageOf(error) })
        continue
      }
      // Past a failure, the steps that only read still run: the plan shows what they found.
      if (stop) {
        planned.push({
          ...base,
          outcome: 'not reached',
          reason: `${stop}; read anyway for this plan`,
        })
        continue
      }
    }
    try {
      planned.push({
        ...base,
        outcome: 'runs',
        reveals: (await step.reveals?.(run, found)) ?? [],
      })
    } catch (error) {
      planned.push({
        ...base,
        outcome: 'runs',
        reason: `what it would make visible could not be read: ${messageOf(error)}`,
      })
    }
  }
  const { plan } = found
  const builtOnly = run.trigger.kind === 'build' ? run.trigger.reason : undefined
  const skipped = report.skipped ?? builtOnly
  return {
    kind: report.skipped !== undefined ? 'skip' : run.mode === 'build' ? 'build' : 'release',
    event: run.env.eventName,
    commit: run.trigger.commit,
    version: plan?.version ?? '',
    channel: plan && run.mode !== 'build' ? channelName(plan.channel) : '',
    gitTag: plan?.gitTag ?? '',
    images: imagesOf(run, found),
    steps: planned,
    alreadyVisible: report.visible.map(describeVisible),
    ...(skipped !== undefined ? { skipped } : {}),
    failures,
    notes: notesOf(run.inputs, run.mode, builtOnly, plan?.maintenance?.branch),
  }
}

function notesOf(
  inputs: Inputs,
  mode: Run['mode'],
  builtOnly: string | undefined,
  maintenance: string | undefined,
): string[] {
  const notes: string[] = []
  if (mode === 'build') {
    notes.push(
      `a build-only run: nothing is pushed, tagged or published${builtOnly ? ` (${builtOnly})` : ''}`,
    )
  }
  if (maintenance !== undefined) {
    notes.push(
      `the maintenance branch ${maintenance} releases its own line: latest and GitHub's Latest never move`,
    )
  }
  if (inputs.registryCredentials) {
    notes.push(
      'registry-username is set, but a plan never logs in: its registry reads use the Docker credentials already there',
    )
  }
  return notes
}

/** The plan of a run that the event alone decides: skipped on purpose, or refused. */
export function previewOfTrigger(
  inputs: Inputs,
  event: string,
  trigger: Extract<Trigger, { kind: 'skip' | 'refuse' }>,
  steps: readonly AnyStep[],
): ReleasePreview {
  const skip = trigger.kind === 'skip'
  return {
    kind: trigger.kind,
    event,
    commit: '',
    version: '',
    channel: '',
    gitTag: '',
    images: inputs.components.map((c) => ({
      name: c.name,
      image: c.image.name,
      platforms: c.platforms.map(formatPlatform),
      tags: [],
    })),
    steps: steps.map((step) => ({
      name: step.name,
      why: step.why,
      outcome: skip ? 'skipped' : 'not reached',
      reason: skip ? trigger.reason : 'the event is refused before any step',
      reveals: [],
    })),
    alreadyVisible: [],
    ...(skip ? { skipped: trigger.reason } : {}),
    failures: skip ? [] : [{ step: 'trigger', cause: trigger.reason, remedy: trigger.remedy }],
    notes: [],
  }
}
