import { branchVerdict, type MaintenanceLine } from './branch-policy.js'
import type { Mode } from './input-types.js'

/** Events whose runs build every platform and never push, log in or publish. */
export const BUILD_ONLY_EVENTS = ['pull_request', 'pull_request_target', 'merge_group']
/** Events that may release. */
export const RELEASE_EVENTS = [
  'push',
  'workflow_dispatch',
  'workflow_run',
  'schedule',
  'repository_dispatch',
]

/** What a run does, decided from the mode input and the triggering event alone. */
export type Trigger =
  /** reason: why an event that could release only builds (a branch that is not a release branch). */
  | { kind: 'build'; commit: string; pullRequest: number | undefined; reason?: string }
  /**
   * tagVersion: the version of a pushed tag such as v1.2.3, which wins over any computation;
   * maintenance: the line a maintenance branch releases (it never moves latest).
   */
  | {
      kind: 'release'
      commit: string
      tagVersion: string | undefined
      maintenance?: MaintenanceLine
    }
  | { kind: 'skip'; reason: string }
  | { kind: 'refuse'; reason: string; remedy: string }

export interface TriggerInput {
  readonly mode: Mode
  readonly eventName: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly sha: string
  readonly ref: string
  /** owner/name of the repository the workflow runs in. */
  readonly repository: string
  readonly tagPrefix: string
  /** The repository's default branch: it always releases. */
  readonly defaultBranch: string
  /** Further branches (globs) that release: the release-branches input. */
  readonly releaseBranches: readonly string[]
}

const objectOf = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
const stringOf = (value: unknown): string => (typeof value === 'string' ? value : '')

/** The checkout step that makes the workspace hold the commit a workflow_run released. */
export const WORKFLOW_RUN_CHECKOUT = [
  '- uses: actions/checkout@v4',
  '  with:',
  '    ref: ${{ github.event.workflow_run.head_sha }}',
  '    fetch-depth: 0',
].join('\n')

/**
 * workflow_run runs on the default branch's latest commit, not on the commit CI tested, and
 * fires for pull requests and forks too: release only a successful push to the default branch
 * of this repository, and release the commit CI tested.
 */
function workflowRun(input: TriggerInput): Trigger {
  const run = objectOf(input.payload.workflow_run)
  const headRepository = stringOf(objectOf(run.head_repository).full_name)
  const name = stringOf(run.name) || 'the triggering workflow'
  const problems: string[] = []
  if (stringOf(run.conclusion) !== 'success')
    problems.push(`${name} concluded '${stringOf(run.conclusion) || 'unknown'}', not 'success'`)
  const branch = branchVerdict(
    stringOf(run.head_branch),
    input.defaultBranch,
    input.releaseBranches,
  )
  if (stringOf(run.event) !== 'push')
    problems.push(`${name} ran for a '${stringOf(run.event) || 'unknown'}' event, not a push`)
  else if (branch.kind === 'not-release') {
    problems.push(
      `${name} ran on branch '${stringOf(run.head_branch)}', which is not a release branch: ${branch.rule}`,
    )
  }
  if (headRepository.toLowerCase() !== input.repository.toLowerCase()) {
    problems.push(
      `${name} ran on commits from ${headRepository || 'an unknown repository'}, not from ${input.repository}`,
    )
  }
  const commit = stringOf(run.head_sha)
  if (problems.length === 0 && !/^[0-9a-f]{40}$/.test(commit))
    problems.push('the event names no head_sha')
  if (problems.length > 0) {
    const reason = `nothing to release: ${problems.join('; ')}`
    return input.mode === 'release'
      ? {
          kind: 'refuse',
          reason,
          remedy:
            'release from a successful push to the default branch or a release branch, or set mode: auto to skip such runs quietly',
        }
      : { kind: 'skip', reason }
  }
  return {
    kind: 'release',
    commit,
    tagVersion: undefined,
    ...(branch.kind === 'release' && branch.maintenance ? { maintenance: branch.maintenance } : {}),
  }
}

/** Decides build, release, skip or refusal from the mode input and the event; mode plan decides as auto. */
export function decideTrigger(input: TriggerInput): Trigger {
  const { eventName, mode } = input
  const pullRequest =
    Number(objectOf(input.payload.pull_request).number ?? input.payload.number) || undefined
  if (mode === 'build') return { kind: 'build', commit: input.sha, pullRequest }
  if (eventName === 'release') {
    return {
      kind: 'refuse',
      reason:
        "a 'release' event cannot publish images: the Release would be visible before its images exist",
      remedy:
        'trigger the action on push (or workflow_run after CI); it creates and publishes the Release itself, after the images',
    }
  }
  if (BUILD_ONLY_EVENTS.includes(eventName)) {
    if (mode === 'release' || mode === 'rollback') {
      return {
        kind: 'refuse',
        reason: `a '${eventName}' event never releases: its code is not merged`,
        remedy: 'leave mode at auto (pull requests build only) and release after the merge',
      }
    }
    return { kind: 'build', commit: input.sha, pullRequest }
  }
  if (eventName === 'workflow_run') return workflowRun(input)
  if (!RELEASE_EVENTS.includes(eventName)) {
    return {
      kind: 'refuse',
      reason: `the '${eventName || 'unknown'}' event is not one the action releases from (${RELEASE_EVENTS.join(', ')}) or builds for (${BUILD_ONLY_EVENTS.join(', ')})`,
      remedy: 'trigger the workflow on one of those events, or set mode: build',
    }
  }
  const tagPrefix = `refs/tags/${input.tagPrefix}`
  const tagVersion = input.ref.startsWith(tagPrefix) ? input.ref.slice(tagPrefix.length) : undefined
  if (input.ref.startsWith('refs/tags/') && tagVersion === undefined) {
    return {
      kind: 'refuse',
      reason: `the pushed tag ${input.ref.slice('refs/tags/'.length)} does not start with the tag prefix '${input.tagPrefix}'`,
      remedy: `push a tag such as ${input.tagPrefix}1.2.3, or set the 'tag-prefix' input`,
    }
  }
  // A pushed version tag releases; a branch releases only when it is a release branch.
  if (tagVersion !== undefined || mode === 'rollback')
    return { kind: 'release', commit: input.sha, tagVersion }
  const name = input.ref.replace(/^refs\/heads\//, '')
  const branch = branchVerdict(name, input.defaultBranch, input.releaseBranches)
  if (branch.kind === 'release') {
    return {
      kind: 'release',
      commit: input.sha,
      tagVersion: undefined,
      ...(branch.maintenance ? { maintenance: branch.maintenance } : {}),
    }
  }
  const reason = `branch '${name}' is not a release branch: ${branch.rule}`
  if (mode === 'release')
    return { kind: 'refuse', reason: `nothing to release: ${reason}`, remedy: branch.remedy }
  return {
    kind: 'build',
    commit: input.sha,
    pullRequest: undefined,
    reason,
  }
}
