import { DEFAULT_LABELS, intentFromLabels, type Intent } from '../../src/model/intent.js'
import { decideTrigger, type Trigger, type TriggerInput } from '../../src/model/trigger.js'
import { workflowRunPayload } from '../support/events.js'

const C = 'c'.repeat(40)
const D = 'd'.repeat(40)
const base: TriggerInput = {
  mode: 'auto',
  eventName: 'push',
  payload: {},
  sha: D,
  ref: 'refs/heads/main',
  repository: 'acme/app',
  tagPrefix: 'v',
  defaultBranch: 'main',
  releaseBranches: [],
}
const workflowRun = (run: Record<string, unknown>): Record<string, unknown> =>
  workflowRunPayload(C, run)

describe('decideTrigger: event × mode', () => {
  test.each<[string, Partial<TriggerInput>, Trigger['kind'], RegExp | Partial<Trigger>]>([
    [
      'pull_request builds',
      { eventName: 'pull_request', payload: { number: 7, pull_request: { number: 7 } } },
      'build',
      { commit: D, pullRequest: 7 },
    ],
    [
      'pull_request_target builds',
      { eventName: 'pull_request_target', payload: { number: 8 } },
      'build',
      { pullRequest: 8 },
    ],
    ['merge_group builds', { eventName: 'merge_group' }, 'build', { pullRequest: undefined }],
    ['mode build on push builds', { mode: 'build' }, 'build', { commit: D }],
    [
      'mode rollback on a pull request is refused',
      { mode: 'rollback', eventName: 'pull_request' },
      'refuse',
      /never releases/,
    ],
    [
      'mode rollback on workflow_dispatch',
      { mode: 'rollback', eventName: 'workflow_dispatch' },
      'release',
      { commit: D },
    ],
    [
      'mode build-platform on a pull request only builds',
      { mode: 'build-platform', eventName: 'pull_request' },
      'build',
      { commit: D },
    ],
    [
      'mode release on a pull request is refused',
      { mode: 'release', eventName: 'pull_request' },
      'refuse',
      /never releases: its code is not merged/,
    ],
    [
      'push to a branch releases the pushed commit',
      {},
      'release',
      { commit: D, tagVersion: undefined },
    ],
    [
      'push of a v tag releases that version',
      { ref: 'refs/tags/v1.2.3' },
      'release',
      { tagVersion: '1.2.3' },
    ],
    [
      'push of a tag with a custom prefix',
      { ref: 'refs/tags/app-2.0.0', tagPrefix: 'app-' },
      'release',
      { tagVersion: '2.0.0' },
    ],
    [
      'push of a tag without the prefix is refused',
      { ref: 'refs/tags/nightly' },
      'refuse',
      /does not start with the tag prefix 'v'/,
    ],
    ['workflow_dispatch releases', { eventName: 'workflow_dispatch' }, 'release', { commit: D }],
    [
      'release events are refused',
      { eventName: 'release' },
      'refuse',
      /cannot publish images: the Release would be visible before its images/,
    ],
    [
      'issue_comment is refused',
      { eventName: 'issue_comment' },
      'refuse',
      /'issue_comment' event is not one the action releases from/,
    ],
    [
      'workflow_run success on main releases the tested commit, not the head',
      { eventName: 'workflow_run', payload: workflowRun({}) },
      'release',
      { commit: C },
    ],
    [
      'workflow_run failure skips',
      { eventName: 'workflow_run', payload: workflowRun({ conclusion: 'failure' }) },
      'skip',
      /CI concluded 'failure', not 'success'/,
    ],
    [
      'workflow_run of a pull request skips',
      {
        eventName: 'workflow_run',
        payload: workflowRun({ event: 'pull_request', head_branch: 'feature' }),
      },
      'skip',
      /ran for a 'pull_request' event, not a push/,
    ],
    [
      'workflow_run from a fork skips',
      {
        eventName: 'workflow_run',
        payload: workflowRun({ head_repository: { full_name: 'mallory/app' } }),
      },
      'skip',
      /from mallory\/app, not from acme\/app/,
    ],
    [
      'workflow_run on another branch skips',
      { eventName: 'workflow_run', payload: workflowRun({ head_branch: 'dev' }) },
      'skip',
      /CI ran on branch 'dev', which is not a release branch: only the default branch 'main' releases/,
    ],
    [
      'push to a feature branch only builds, and says why',
      { ref: 'refs/heads/feature/dashboards' },
      'build',
      {
        pullRequest: undefined,
        reason:
          "branch 'feature/dashboards' is not a release branch: only the default branch 'main' releases",
      },
    ],
    [
      'push to a feature branch with mode release is refused with the remedy',
      { ref: 'refs/heads/feature/dashboards', mode: 'release' },
      'refuse',
      /nothing to release: branch 'feature\/dashboards' is not a release branch/,
    ],
    [
      'workflow_dispatch on a feature branch only builds',
      { eventName: 'workflow_dispatch', ref: 'refs/heads/spike' },
      'build',
      /branch 'spike' is not a release branch/,
    ],
    [
      'a build-platform job on a feature branch builds without pushing',
      { mode: 'build-platform', ref: 'refs/heads/spike' },
      'build',
      { pullRequest: undefined },
    ],
    [
      'a listed branch releases',
      { ref: 'refs/heads/next', releaseBranches: ['next', 'release/*'] },
      'release',
      { commit: D, tagVersion: undefined },
    ],
    [
      'a listed maintenance branch releases its line',
      { ref: 'refs/heads/release/1.4', releaseBranches: ['release/*'] },
      'release',
      {
        maintenance: { branch: 'release/1.4', line: { kind: 'minor', major: 1, minor: 4 } },
      },
    ],
    [
      'a pushed version tag releases whatever branch it is on',
      { ref: 'refs/tags/v1.4.3', releaseBranches: [] },
      'release',
      { tagVersion: '1.4.3' },
    ],
    [
      'a rollback is not bound to a release branch',
      { mode: 'rollback', eventName: 'workflow_dispatch', ref: 'refs/heads/ops' },
      'release',
      { commit: D },
    ],
    [
      'workflow_run on a listed maintenance branch releases its line',
      {
        eventName: 'workflow_run',
        payload: workflowRun({ head_branch: '1.x' }),
        releaseBranches: ['*.x'],
      },
      'release',
      { commit: C, maintenance: { branch: '1.x', line: { kind: 'major', major: 1 } } },
    ],
    [
      'a default branch other than main releases',
      { ref: 'refs/heads/trunk', defaultBranch: 'trunk' },
      'release',
      { commit: D },
    ],
    [
      'workflow_run failure with mode release is refused',
      {
        mode: 'release',
        eventName: 'workflow_run',
        payload: workflowRun({ conclusion: 'cancelled' }),
      },
      'refuse',
      /concluded 'cancelled'/,
    ],
  ])('%s', (_name, change, kind, expected) => {
    const trigger = decideTrigger({ ...base, ...change })
    expect(trigger.kind).toBe(kind)
    if (expected instanceof RegExp)
      expect('reason' in trigger ? trigger.reason : '').toMatch(expected)
    else expect(trigger).toMatchObject(expected)
  })
})

test('a listed branch without a version line is not a maintenance branch', () => {
  const trigger = decideTrigger({ ...base, ref: 'refs/heads/next', releaseBranches: ['next'] })
  expect(trigger).toEqual({ kind: 'release', commit: D, tagVersion: undefined })
})

describe('decideTrigger: mode plan', () => {
  test.each<[string, Partial<TriggerInput>]>([
    ['push', {}],
    ['a pushed v tag', { ref: 'refs/tags/v1.2.3' }],
    ['pull_request', { eventName: 'pull_request', payload: { number: 7 } }],
    ['merge_group', { eventName: 'merge_group' }],
    ['workflow_run success', { eventName: 'workflow_run', payload: workflowRun({}) }],
    [
      'workflow_run failure',
      { eventName: 'workflow_run', payload: workflowRun({ conclusion: 'failure' }) },
    ],
    ['release', { eventName: 'release' }],
    ['issue_comment', { eventName: 'issue_comment' }],
  ])('on %s decides as auto does', (_name, change) => {
    const plan = decideTrigger({ ...base, ...change, mode: 'plan' })
    expect(plan).toEqual(decideTrigger({ ...base, ...change, mode: 'auto' }))
  })
})

describe('intentFromLabels', () => {
  test.each<[string[], Intent['kind'], Partial<Intent> | RegExp]>([
    [[], 'release', { bump: undefined, channel: undefined }],
    [['bug', 'type:minor'], 'release', { bump: 'minor', channel: undefined }],
    [
      ['type:minor', 'channel:rc'],
      'release',
      { bump: 'minor', channel: { kind: 'prerelease', name: 'rc' } },
    ],
    [['channel:stable', 'type:major'], 'release', { bump: 'major', channel: { kind: 'stable' } }],
    [['type:docs'], 'skip', /#12 is labelled type:docs/],
    [['type:skip', 'channel:rc'], 'skip', /type:skip/],
    [
      ['type:minor', 'type:patch'],
      'invalid',
      /conflicting release labels: pull request #12 has type:minor, type:patch; allowed: type:patch, type:minor/,
    ],
    [['channel:rc', 'channel:beta'], 'invalid', /conflicting release labels/],
    [['type:feature'], 'invalid', /unknown release labels: pull request #12 has type:feature/],
    [['channel:Latest'], 'invalid', /unknown release labels/],
  ])('%j', (labels, kind, expected) => {
    const intent = intentFromLabels(labels, DEFAULT_LABELS, 12)
    expect(intent.kind).toBe(kind)
    if (expected instanceof RegExp)
      expect('reason' in intent ? intent.reason : '').toMatch(expected)
    else expect(intent).toMatchObject(expected)
  })

  test('label prefixes are configurable', () => {
    expect(
      intentFromLabels(
        ['release/minor', 'type:major'],
        { typePrefix: 'release/', channelPrefix: 'ch/' },
        1,
      ),
    ).toEqual({
      kind: 'release',
      bump: 'minor',
      channel: undefined,
    })
  })
})
