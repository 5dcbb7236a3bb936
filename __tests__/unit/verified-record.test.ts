import {
  forgetVerified,
  readVerified,
  recordVerified,
  verifiedRef,
} from '../../src/release/verified-record.js'
import { FakeGitHub } from '../support/fakes.js'

const COMMIT = 'c'.repeat(40)
const digest = (c: string): string => `sha256:${c.repeat(64)}`
const image = (name: string, d: string) => ({
  image: name,
  digest: digest(d),
  identity: `id-${d}`,
  version: '1.0.0',
})

test('a record is read back by the next run of the same commit, and only by it', async () => {
  const github = new FakeGitHub()
  await recordVerified(github, COMMIT, [image('app', 'a')])
  expect(await readVerified(github, COMMIT)).toEqual([image('app', 'a')])
  expect(await readVerified(github, 'd'.repeat(40))).toEqual([])
  expect([...github.refs.keys()]).toEqual([verifiedRef(COMMIT)])
})

test("a later attempt keeps what the record says of other images and replaces its own image's", async () => {
  const github = new FakeGitHub()
  await recordVerified(github, COMMIT, [image('api', 'a'), image('web', 'b')])
  await recordVerified(github, COMMIT, [image('web', 'e')])
  expect(await readVerified(github, COMMIT)).toEqual([image('api', 'a'), image('web', 'e')])
})

test('forgetting deletes the record', async () => {
  const github = new FakeGitHub()
  await recordVerified(github, COMMIT, [image('app', 'a')])
  await forgetVerified(github, COMMIT)
  expect(github.refs.has(verifiedRef(COMMIT))).toBe(false)
  expect(await readVerified(github, COMMIT)).toEqual([])
})

test('forgetting a record that is already gone only reads: a re-run after a complete release writes nothing', async () => {
  const github = new FakeGitHub()
  await forgetVerified(github, COMMIT)
  expect(github.calls).toEqual([])
})
