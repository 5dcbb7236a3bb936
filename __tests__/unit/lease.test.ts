import { StepFailure } from '../../src/model/errors.js'
import {
  LEASE_REF,
  Lease,
  leaseMessage,
  parseLease,
  type LeaseOptions,
  type LeaseRecord,
} from '../../src/release/lease.js'
import { FakeGitHub } from '../support/fakes.js'

const BASE = 'b'.repeat(40)
const TTL = 60_000

/** A clock that only moves when a run waits; `onSleep` acts at that moment (another run's move). */
function world() {
  const store = new FakeGitHub()
  const clock = { now: 1_000_000, sleeps: [] as number[] }
  const logs: string[] = []
  let onSleep: () => Promise<void> = () => Promise.resolve()
  const options = (over: Partial<LeaseOptions> = {}): LeaseOptions => ({
    store,
    runId: '100',
    attempt: 1,
    version: '1.5.0',
    baseCommit: BASE,
    ttlMs: TTL,
    waitMs: 600_000,
    log: (m) => logs.push(m),
    cancelled: () => undefined,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.sleeps.push(ms)
      clock.now += ms
      await onSleep()
    },
    ...over,
  })
  const holderOf = async (): Promise<LeaseRecord | undefined> => {
    const head = store.refs.get(LEASE_REF)
    return head === undefined ? undefined : parseLease((await store.readCommit(head)).message)
  }
  return {
    store,
    clock,
    logs,
    options,
    holderOf,
    whenWaiting: (fn: () => Promise<void>) => {
      onSleep = fn
    },
  }
}

test('the message round-trips', () => {
  const record: LeaseRecord = {
    holder: '7-2-abc',
    runId: '7',
    attempt: 2,
    version: '1.5.0',
    state: 'held',
    expires: Date.UTC(2026, 11, 5, 12),
  }
  expect(parseLease(leaseMessage(record))).toEqual(record)
  expect(parseLease('Merge pull request #3')).toBeUndefined()
})

test('the first lease creates the ref on the released commit’s tree', async () => {
  const w = world()
  const lease = await Lease.acquire(w.options())
  expect(w.store.calls).toContain(`createRef ${LEASE_REF}`)
  const head = w.store.refs.get(LEASE_REF) ?? ''
  expect((await w.store.readCommit(head)).tree).toBe(`tree-${BASE}`)
  expect(await w.holderOf()).toMatchObject({ runId: '100', state: 'held', version: '1.5.0' })
  await lease.release()
  expect(await w.holderOf()).toMatchObject({ runId: '100', state: 'released' })
})

test('a live lease of another run is waited for, and taken once it is released', async () => {
  const w = world()
  const other = await Lease.acquire(w.options({ runId: '200', version: '1.5.1' }))
  let waited = 0
  w.whenWaiting(async () => {
    if (++waited === 3) await other.release()
  })
  await Lease.acquire(w.options())
  expect(waited).toBe(3)
  expect(w.logs[0]).toMatch(/Waiting for run 200 \(releasing 1\.5\.1\) to finish promoting/)
  expect(await w.holderOf()).toMatchObject({ runId: '100', state: 'held' })
})

test('a lease whose holder died is taken once it expires, and the log says so', async () => {
  const w = world()
  await Lease.acquire(w.options({ runId: '200' }))
  await Lease.acquire(w.options())
  // Waiting never outlasts the expiry by much.
  expect(w.clock.now - 1_000_000).toBeLessThan(TTL + 3_000)
  expect(w.logs.at(-1)).toMatch(
    /Took the release lease: it was expired at .* \(run 200 stopped holding it\)/,
  )
})

test('a re-run takes the lease of its own earlier attempt at once', async () => {
  const w = world()
  await Lease.acquire(w.options({ attempt: 1 }))
  await Lease.acquire(w.options({ attempt: 2 }))
  expect(w.clock.sleeps).toEqual([])
  expect(await w.holderOf()).toMatchObject({ attempt: 2, state: 'held' })
})

test('of two runs that read the free lease at once, exactly one takes it', async () => {
  const w = world()
  const first = await Lease.acquire(w.options({ runId: '1' }))
  await first.release()
  // Both read the same released head: the first fast-forward waits until the second arrives.
  const fastForward = w.store.fastForwardRef.bind(w.store)
  const arrived: (() => void)[] = []
  w.store.fastForwardRef = async (ref, sha) => {
    if (arrived.length < 2) {
      await new Promise<void>((resolve) => {
        arrived.push(resolve)
        if (arrived.length === 2) for (const go of arrived) go()
      })
    }
    return fastForward(ref, sha)
  }
  const a = Lease.acquire(w.options({ runId: 'a' }))
  const b = Lease.acquire(w.options({ runId: 'b', waitMs: 1_000 }))
  const [ra, rb] = await Promise.allSettled([a, b])
  const won = [ra, rb].filter((r) => r.status === 'fulfilled')
  expect(won).toHaveLength(1)
  const lost = [ra, rb].find((r) => r.status === 'rejected')
  expect(lost?.status === 'rejected' && (lost.reason as Error).message).toMatch(
    /still holds the release lease/,
  )
  expect(w.store.calls.filter((c) => c.startsWith('fastForwardRef')).length).toBeGreaterThanOrEqual(
    3,
  )
})

test('keep() renews after half the time, and stops the run once another run took over', async () => {
  const w = world()
  const lease = await Lease.acquire(w.options())
  const before = w.store.refs.get(LEASE_REF)
  w.clock.now += TTL / 4
  await lease.keep()
  expect(w.store.refs.get(LEASE_REF)).toBe(before)
  w.clock.now += TTL / 2
  await lease.keep()
  expect(w.store.refs.get(LEASE_REF)).not.toBe(before)
  // It stalls past the expiry; another run takes the lease.
  w.clock.now += TTL * 2
  await Lease.acquire(w.options({ runId: '300' }))
  await expect(lease.keep()).rejects.toThrow(/another run took it over/)
})

test('waiting gives up after lease-wait with the holder named, before any write', async () => {
  const w = world()
  await Lease.acquire(w.options({ runId: '200', ttlMs: 3_600_000 }))
  const error = await Lease.acquire(w.options({ waitMs: 10_000 })).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(StepFailure)
  expect((error as StepFailure).message).toMatch(
    /run 200 \(attempt 1, releasing 1\.5\.0\) still holds the release lease, until .*; this run waited 10 s and wrote no final tag/,
  )
})

test('a cancelled job stops waiting at once', async () => {
  const w = world()
  await Lease.acquire(w.options({ runId: '200' }))
  let signal: string | undefined
  w.whenWaiting(() => {
    signal = 'SIGINT'
    return Promise.resolve()
  })
  await expect(Lease.acquire(w.options({ cancelled: () => signal }))).rejects.toThrow(
    /cancelled \(SIGINT\) while waiting for the release lease/,
  )
  expect(w.clock.sleeps).toHaveLength(1)
})

test('an answer lost after the ref was created still gives the lease to its writer', async () => {
  const w = world()
  const createRef = w.store.createRef.bind(w.store)
  w.store.createRef = async (ref, sha) => {
    await createRef(ref, sha)
    return false // as a retried request meets 422 "Reference already exists"
  }
  await Lease.acquire(w.options())
  expect(w.clock.sleeps).toEqual([])
  expect(await w.holderOf()).toMatchObject({ runId: '100', state: 'held' })
})
