import { jest } from '@jest/globals'
import { assertIndex } from '../../src/steps/assert-manifest.js'
import { ImagetoolsRegistry } from '../../src/ports/registry/imagetools.js'
import type { Run } from '../../src/run/run.js'
import type { Candidate } from '../../src/run/artifacts.js'
import type { ImageReport } from '../../src/run/report.js'
import { contextFor } from '../support/context.js'
import { pushExampleImage } from '../support/fixtures.js'
import { docker } from '../support/engine-stack.js'
import { deleteManifest, getManifest, putManifest } from '../support/registry-http.js'
import { requireStack, uniqueImage } from '../support/stack.js'

jest.setTimeout(300_000)

interface Entry {
  digest: string
  platform: { os: string; architecture: string }
  annotations?: Record<string, string>
}
type Index = { mediaType: string; manifests: Entry[] } & Record<string, unknown>

const image = uniqueImage('assertion')
let index: Index
let digest: string
/** The assertion's reads through imagetools; it never archives, pushes or assembles. */
const notUsed = (): Promise<never> => Promise.reject(new Error('not used by the assertion'))
const registry = Object.assign(new ImagetoolsRegistry(), {
  archive: notUsed,
  pushLayout: notUsed,
  copyDigest: notUsed,
  assemble: notUsed,
})
/** What users see of the only image: the platforms the assertion recorded. */
const only = (ctx: Run): ImageReport => {
  const [run] = ctx.report.images
  if (!run) throw new Error('no image')
  return run
}
/** The candidate the build would hand to the assertion: the image at this digest. */
const candidate = (ctx: Run, at: string): Candidate => {
  const [build] = ctx.inputs.components
  if (!build) throw new Error('no image')
  return {
    image: { build, identity: '', reuse: undefined },
    ref: `${build.image.name}@${at}`,
    digest: at,
  }
}

beforeAll(async () => {
  await requireStack()
  pushExampleImage([`${image.name}:built`])
  index = (await getManifest(image.path, 'built')) as Index
  digest =
    docker(
      ['buildx', 'imagetools', 'inspect', `${image.name}:built`, '--format', '{{json .Manifest}}'],
      {
        encoding: 'utf8',
      },
    ).match(/"digest":\s*"(sha256:[0-9a-f]{64})"/)?.[1] ?? ''
})

const entryFor = (architecture: string): Entry => {
  const entry = index.manifests.find((m) => m.platform.architecture === architecture)
  if (!entry) throw new Error(`the built index has no ${architecture} entry`)
  return entry
}

/** Stores a variant of the built index under a new tag and returns its digest. */
async function pushVariant(tag: string, manifests: Entry[]): Promise<string> {
  return putManifest(image.path, tag, { ...index, manifests })
}

test('the real index with attestations passes and records each platform manifest', async () => {
  const ctx = contextFor({ image: image.name }, { registry })
  await assertIndex(ctx, candidate(ctx, digest))
  expect(index.manifests.some((m) => m.platform.os === 'unknown')).toBe(true)
  expect(only(ctx).platforms.get('linux/amd64')?.manifestDigest).toBe(entryFor('amd64').digest)
  expect(only(ctx).platforms.get('linux/arm64')?.manifestDigest).toBe(entryFor('arm64').digest)
})

test('an index missing arm64 fails and names the platform', async () => {
  const variant = await pushVariant(
    'no-arm64',
    index.manifests.filter((m) => m.platform.architecture !== 'arm64'),
  )
  const ctx = contextFor({ image: image.name }, { registry })
  await expect(assertIndex(ctx, candidate(ctx, variant))).rejects.toThrow(
    /platform linux\/arm64 is missing from the index/,
  )
})

test('an index with a platform nobody asked for fails and names it', async () => {
  const ctx = contextFor({ image: image.name, platforms: 'linux/amd64' }, { registry })
  await expect(assertIndex(ctx, candidate(ctx, digest))).rejects.toThrow(
    /platform linux\/arm64 is in the index but was not requested/,
  )
})

test('an arm64 entry whose image is amd64 fails: the platform must be real', async () => {
  const amd64 = entryFor('amd64')
  const variant = await pushVariant('fake-arm64', [
    amd64,
    { ...amd64, platform: { os: 'linux', architecture: 'arm64' } },
  ])
  const ctx = contextFor({ image: image.name }, { registry })
  await expect(assertIndex(ctx, candidate(ctx, variant))).rejects.toThrow(
    /platform linux\/arm64: its image config says linux\/amd64/,
  )
})

test('a child manifest that no longer resolves fails and names the platform', async () => {
  // A separate repository, so that deleting a manifest here cannot affect the other tests.
  const other = uniqueImage('assertion-deleted')
  docker(
    ['buildx', 'imagetools', 'create', '--tag', `${other.name}:x`, `${image.name}@${digest}`],
    { stdio: 'pipe' },
  )
  await deleteManifest(other.path, entryFor('arm64').digest)
  const ctx = contextFor({ image: other.name }, { registry })
  await expect(assertIndex(ctx, candidate(ctx, digest))).rejects.toThrow(
    /platform linux\/arm64: its manifest sha256:[0-9a-f]+ does not resolve/,
  )
})

test.each<[string, string, RegExp | undefined]>([
  ['a single manifest for the one platform asked for passes', 'linux/amd64', undefined],
  [
    'a single manifest is not an index of two platforms',
    'linux/amd64,linux/arm64',
    /is a single manifest/,
  ],
  [
    'a single manifest for another platform fails',
    'linux/arm64',
    /is an image for linux\/amd64, not linux\/arm64/,
  ],
])('%s', async (_name, platforms, failure) => {
  const ctx = contextFor({ image: image.name, platforms }, { registry })
  const checked = assertIndex(ctx, candidate(ctx, entryFor('amd64').digest))
  if (failure) await expect(checked).rejects.toThrow(failure)
  else {
    await checked
    expect(only(ctx).platforms.get('linux/amd64')?.manifestDigest).toBe(entryFor('amd64').digest)
  }
})
