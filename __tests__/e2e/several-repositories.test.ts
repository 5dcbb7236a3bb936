import { jest } from '@jest/globals'
import { startRegistryProxy, type RegistryProxy } from '../support/registry-proxy.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REGISTRY, requireStack, uniqueImage } from '../support/stack.js'

jest.setTimeout(600_000)

/**
 * One release to two repositories on two registries of the stack: the candidate is built,
 * pushed and smoke-tested in the first one only, then the same digest is copied to the second
 * (a registry that refuses deletes) and both are tagged, all or nothing.
 */
const NODELETE = '127.0.0.1:5002'
const FINAL = ['1', '1.0', '1.0.0', 'latest']
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ')

/** GET /v2/<path>/tags/list on a loopback registry: [] when the repository does not exist. */
async function tags(host: string, path: string): Promise<string[]> {
  const response = await fetch(`http://${host}/v2/${path}/tags/list`)
  if (response.status === 404) return []
  if (!response.ok) throw new Error(`tags of ${host}/${path}: ${response.status}`)
  const body = (await response.json()) as { tags: string[] | null }
  return [...(body.tags ?? [])].sort()
}

/** The digest each tag resolves to. */
async function digests(host: string, path: string, names: readonly string[]): Promise<string[]> {
  return Promise.all(
    names.map(async (tag) => {
      const response = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: ACCEPT },
      })
      return response.headers.get('docker-content-digest') ?? `${tag}: ${response.status}`
    }),
  )
}

beforeAll(requireStack)

const worlds: ReleaseWorld[] = []
const proxies: RegistryProxy[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
  for (const p of proxies.splice(0)) await p.close()
})

/** A world whose image input names a repository on 127.0.0.1:5000 and one on `second`. */
async function twoRepositories(
  label: string,
  second: string,
): Promise<{ w: ReleaseWorld; path: string; image: string }> {
  const first = uniqueImage(label)
  const w = await releaseWorld(label, {}, first)
  worlds.push(w)
  return { w, path: first.path, image: `${first.name}\n${second}/${first.path}` }
}

test('two repositories on two registries end with exactly the final tags on the same digest, and the Release and summary list both', async () => {
  const { w, path, image } = await twoRepositories('repos-both', NODELETE)
  const run = await w.run({ image, version: '1.0.0', 'smoke-run': 'true' })
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  const digest = run.outputs.digest ?? ''
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  expect(await tags(REGISTRY, path)).toEqual(FINAL)
  expect(await tags(NODELETE, path)).toEqual(FINAL)
  expect(await digests(REGISTRY, path, FINAL)).toEqual(FINAL.map(() => digest))
  expect(await digests(NODELETE, path, FINAL)).toEqual(FINAL.map(() => digest))
  // metadata-action's form: every tag as a full reference, in every repository.
  expect((run.outputs.tags ?? '').split('\n').sort()).toEqual(
    [REGISTRY, NODELETE].flatMap((host) => FINAL.map((t) => `${host}/${path}:${t}`)).sort(),
  )
  const [release] = w.github.releases('acme', 'app')
  expect(release?.draft).toBe(false)
  expect(release?.body).toContain(
    `| Repositories | \`${REGISTRY}/${path}\`, \`${NODELETE}/${path}\` |`,
  )
  expect(run.summary).toContain(`Repositories: \`${REGISTRY}/${path}\`, \`${NODELETE}/${path}\``)
  expect(run.summary).toContain(`\`${NODELETE}/${path}:latest\``)
})

test('all or nothing: the second repository refuses writes, no final tag anywhere; the re-run releases the verified digest to both', async () => {
  const proxy = await startRegistryProxy(NODELETE)
  proxies.push(proxy)
  const { w, path, image } = await twoRepositories('repos-refused', proxy.host)
  proxy.fail({ method: 'PUT', status: 403, code: 'DENIED', times: Infinity })
  const first = await w.run({ image, version: '1.0.0', 'smoke-run': 'true' })
  expect(first.exitCode).toBe(1)
  const failure = first.errors.join('\n')
  expect(failure).toMatch(/Step 'replicate' failed/)
  expect(failure).toContain(`${proxy.host}/${path}`)
  expect(failure).toMatch(/no final tag was written in any repository/)
  expect(failure).toMatch(/Visible to users: untagged manifests only/)
  expect(failure).toContain(`give the run push access to ${proxy.host}/${path}`)
  expect(await tags(REGISTRY, path)).toEqual([])
  expect(await tags(NODELETE, path)).toEqual([])
  expect(w.github.releases('acme', 'app').filter((r) => !r.draft)).toEqual([])
  // The candidate passed every check before the copy: it is the digest the re-run releases.
  const verified = first.outputs.digest ?? ''
  expect(verified).toMatch(/^sha256:[0-9a-f]{64}$/)

  proxy.clear()
  const rerun = await w.run({ image, version: '1.0.0', 'smoke-run': 'true' }, { runAttempt: '2' })
  expect(rerun.errors).toEqual([])
  expect(rerun.exitCode).toBe(0)
  expect(rerun.summary).toMatch(
    /\| build \| skipped: the digest of this commit was already verified/,
  )
  expect(rerun.outputs.digest).toBe(verified)
  expect(await tags(REGISTRY, path)).toEqual(FINAL)
  expect(await tags(NODELETE, path)).toEqual(FINAL)
  expect(await digests(NODELETE, path, FINAL)).toEqual(FINAL.map(() => verified))
  expect(await digests(REGISTRY, path, FINAL)).toEqual(FINAL.map(() => verified))
})

test('a repository that refuses to open an upload stops the run in preflight, before anything is built', async () => {
  const proxy = await startRegistryProxy(NODELETE)
  proxies.push(proxy)
  const { w, path, image } = await twoRepositories('repos-preflight', proxy.host)
  proxy.fail({ method: 'POST', status: 403, code: 'DENIED', times: Infinity })
  const run = await w.run({ image, version: '1.0.0', 'smoke-run': 'true' })
  expect(run.exitCode).toBe(1)
  const failure = run.errors.join('\n')
  expect(failure).toMatch(/Step 'preflight' failed/)
  expect(failure).toContain(`the run may not write to ${proxy.host}/${path}`)
  expect(failure).toMatch(/Visible to users: nothing/)
  expect(run.summary).not.toMatch(/\| build \| done/)
  expect(await tags(REGISTRY, path)).toEqual([])
  expect(proxy.log.filter((r) => r.method === 'PUT')).toEqual([])
})
