// The crash-anywhere harness's own parts: a test that judges the action must itself be right.
import { withSection } from '../../scripts/reliability-doc.js'
import { makeSchedule } from '../support/chaos/schedule.js'
import { stepReached } from '../support/chaos/steps.js'
import { AIMED_WRITES, WriteCounter, gitHubWrite, registryWrite } from '../support/chaos/writes.js'

test('a seed and an index give the same schedule every time; other indexes give others', () => {
  expect(makeSchedule(2026, 7)).toEqual(makeSchedule(2026, 7))
  const ids = new Set(
    Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ ...makeSchedule(2026, i), id: '', index: 0 }),
    ),
  )
  expect(ids.size).toBeGreaterThan(15)
})

test('over many schedules, every aimed-at write, both signals and each fault come up', () => {
  const schedules = Array.from({ length: 300 }, (_, i) => makeSchedule(1, i))
  const aimed = new Set(
    schedules.flatMap((s) => (s.moment.kind === 'write' ? [JSON.stringify(s.moment.write)] : [])),
  )
  expect(aimed.size).toBe(AIMED_WRITES.length)
  expect(new Set(schedules.map((s) => s.kill.signal))).toEqual(new Set(['SIGKILL', 'cancel']))
  const hows = new Set(schedules.map((s) => (s.fault.kind === 'fault' ? s.fault.how : 'none')))
  expect(hows).toEqual(new Set(['none', '5xx', 'reset', 'lost answer']))
})

test.each<[string, string, string | undefined]>([
  ['POST', '/v2/e2e/app/blobs/uploads/', 'blob upload'],
  ['PATCH', '/v2/e2e/app/blobs/uploads/abc?_state=x', undefined],
  ['PUT', '/v2/e2e/app/blobs/uploads/abc?digest=sha256:1', undefined],
  ['PUT', '/v2/e2e/app/manifests/sha256:abc', 'manifest by digest'],
  ['PUT', '/v2/e2e/app/manifests/1.0.0', 'tag 1.0.0'],
  ['DELETE', '/v2/e2e/app/manifests/sha256:abc', 'manifest removal'],
  ['GET', '/v2/e2e/app/manifests/1.0.0', undefined],
  ['HEAD', '/v2/e2e/app/manifests/1.0.0', undefined],
])('the registry request %s %s is the write %j', (method, url, write) => {
  expect(registryWrite(method, url)).toBe(write)
})

test('GitHub writes are named by their operation; reads are none', () => {
  expect(gitHubWrite('POST', 'repos/create-release')).toBe('repos/create-release')
  expect(gitHubWrite('GET', 'repos/list-releases')).toBeUndefined()
})

test('a kill is aimed at the n-th write of a kind, counted as they arrive', () => {
  const counter = new WriteCounter()
  const fired: number[] = []
  counter.aim({ via: 'github', what: 'git/create-commit', nth: 2 }, () =>
    fired.push(counter.seen.length),
  )
  for (const what of [
    'git/create-commit',
    'repos/create-release',
    'git/create-commit',
    'git/create-commit',
  ])
    counter.arrived({ via: 'github', what })
  expect(fired).toEqual([3])
})

test.each<[string, string]>([
  ['', 'preflight'],
  ['Docker engine 26.1.5, buildx 0.13.1\nVersion 1.0.0 (stable channel) of commit f7b7', 'build'],
  ['Index sha256:f4 holds linux/amd64, linux/arm64\nlinux/arm64: pull: ok', 'smoke'],
  ['Pushed the candidate r/app@sha256:f4, untagged', 'assert-manifest'],
  ['Recorded sha256:f4 as verified', 'draft-release'],
  [
    'Created the draft #1 for v1.0.0 at f7b7\nUploaded notes.txt (6 bytes)',
    'draft-release (assets)',
  ],
  ['Holding the release lease (1.0.0)\nPromoted r/app:1.0.0 -> sha256:f4', 'promote (after 1.0.0)'],
  ["The Release becomes GitHub's Latest: 1.0.0 is the highest", 'publish'],
  ['Published http://x/acme/app/releases/tag/v1.0.0', 'cleanup'],
])('a run that logged %j was interrupted in %s', (log, step) => {
  expect(stepReached(log)).toBe(step)
})

describe('docs/reliability.md: each writer keeps the other sections', () => {
  const doc = [
    '# Reliability',
    '',
    'Intro.',
    '',
    withSection('', 'faults', '## Injected faults\n\nold table').trim(),
    '',
    '## The crash model',
    '',
    'Hand-written.',
    '',
  ].join('\n')

  test('the chaos soak adds its section and keeps the faults section and the crash model', () => {
    const after = withSection(doc, 'chaos', '## Crash anywhere\n\nsoak table')
    expect(after).toContain('old table')
    expect(after).toContain('Hand-written.')
    expect(after).toContain('soak table')
    expect(after.indexOf('Hand-written.')).toBeLessThan(after.indexOf('soak table'))
  })

  test('the fault suite replaces only its section: the soak and the crash model stay', () => {
    const both = withSection(doc, 'chaos', '## Crash anywhere\n\nsoak table')
    const after = withSection(both, 'faults', '## Injected faults\n\nnew table')
    expect(after).not.toContain('old table')
    expect(after).toContain('new table')
    expect(after).toContain('soak table')
    expect(after).toContain('Hand-written.')
    expect(withSection(after, 'faults', '## Injected faults\n\nnew table')).toBe(after)
  })
})
