// Crash anywhere, CI's seeded sample: releases interrupted at random moments (SIGKILL of the
// process tree, or the runner's SIGINT → SIGTERM → kill), some with a fault armed, re-run until
// they complete, every promise checked after every run. The soak is `npm run test:chaos`.
import { jest } from '@jest/globals'
import {
  runConcurrent,
  runSchedule,
  startHarness,
  stopHarness,
  type Harness,
} from '../support/chaos/harness.js'
import { verdictOf } from '../support/chaos/report.js'
import { makeSchedule, type Schedule } from '../support/chaos/schedule.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

/** A seed whose eight schedules cover both signals, the post step or none, kills on GitHub's
 * and the registry's writes and at any moment, and each kind of fault. */
const SEED = 120
const SAMPLE = 8
const schedules = Array.from({ length: SAMPLE }, (_, i) => makeSchedule(SEED, i))

let harness: Harness
beforeAll(async () => {
  await requireStack()
  harness = await startHarness()
})
afterAll(async () => {
  await stopHarness(harness)
})

test('the sample covers each way to interrupt, each kind of moment and each kind of fault', () => {
  const has = (what: (s: Schedule) => boolean): boolean => schedules.some(what)
  const fault = (s: Schedule) => (s.fault.kind === 'fault' ? s.fault : undefined)
  expect({
    cancel: has((s) => s.kill.signal === 'cancel'),
    'SIGKILL, then post': has((s) => s.kill.signal === 'SIGKILL' && s.kill.post),
    'SIGKILL, machine lost': has((s) => s.kill.signal === 'SIGKILL' && !s.kill.post),
    'a GitHub write': has((s) => s.moment.kind === 'write' && s.moment.write.via === 'github'),
    'a registry write': has((s) => s.moment.kind === 'write' && s.moment.write.via === 'registry'),
    'any moment': has((s) => s.moment.kind === 'time'),
    '5xx': has((s) => fault(s)?.how === '5xx'),
    reset: has((s) => fault(s)?.how === 'reset'),
    'lost answer': has((s) => fault(s)?.how === 'lost answer'),
  }).toEqual({
    cancel: true,
    'SIGKILL, then post': true,
    'SIGKILL, machine lost': true,
    'a GitHub write': true,
    'a registry write': true,
    'any moment': true,
    '5xx': true,
    reset: true,
    'lost answer': true,
  })
})

test.each(schedules.map((s) => [s.id, s] as const))(
  'schedule %s: every promise holds after every run, and a re-run completes the release',
  async (_, schedule) => {
    const row = await runSchedule(harness, schedule)
    expect(verdictOf(row)).toBe('held')
    expect(row.attempts).toBeLessThanOrEqual(4)
  },
)

test('four runs of the same release at once, some killed, end with one Release and one digest', async () => {
  const row = await runConcurrent(harness, SEED, SAMPLE)
  expect(verdictOf(row)).toBe('held')
})
