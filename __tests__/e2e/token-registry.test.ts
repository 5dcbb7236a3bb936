import { jest } from '@jest/globals'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, requireStack } from '../support/stack.js'
import {
  startTokenServer,
  tokenRegistry,
  type TokenRegistrySettings,
  type TokenServer,
} from '../support/token-server.js'

// The registry with token auth (scripts/stack/token-registry.sh) and the realm this test starts.
// The engine is whichever `docker` the environment selects (an engine-*.env works too).
jest.setTimeout(300_000)

let registry: TokenRegistrySettings
let server: TokenServer
const configs: string[] = []
const image = `mar-token-registry-e2e:${Date.now().toString(36)}`
beforeAll(async () => {
  await requireStack()
  registry = tokenRegistry()
  server = await startTokenServer()
  execFileSync(
    'docker',
    ['buildx', 'build', '--builder', 'default', '-q', '--load', '-t', image, 'example'],
    { cwd: REPO_ROOT, stdio: 'pipe' },
  )
})
afterAll(async () => {
  await server.close()
  spawnSync('docker', ['rmi', image], { stdio: 'ignore' })
  for (const c of configs) rmSync(c, { recursive: true, force: true })
})

/** An empty Docker config of its own: no login of the machine leaks into the test. */
function dockerConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
  configs.push(dir)
  return dir
}

/** Runs docker with its own config; asynchronously, so the token server in this process answers. */
function docker(
  config: string,
  args: string[],
  input?: string,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_CONFIG: config } })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', reject)
    child.on('close', (status) => {
      resolve({ status, out })
    })
    child.stdin.end(input ?? '')
  })
}

const login = (config: string, password: string) =>
  docker(
    config,
    ['login', registry.host, '--username', registry.user, '--password-stdin'],
    password,
  )

/** GET on the registry over its TLS with its test CA; answers status and headers. */
function registryGet(
  path: string,
  token?: string,
): Promise<{ status: number; digest: string | undefined; challenge: string | undefined }> {
  const [host = '', port = '443'] = registry.host.split(':')
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path,
        ca: readFileSync(registry.ca),
        headers: {
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
          ].join(', '),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          const digest = res.headers['docker-content-digest']
          resolve({
            status: res.statusCode ?? 0,
            digest: typeof digest === 'string' ? digest : undefined,
            challenge: res.headers['www-authenticate'],
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** A token from the realm, as a registry client would fetch it. */
async function token(scope: string): Promise<string> {
  const basic = Buffer.from(`${registry.user}:${registry.password}`).toString('base64')
  const url = `${server.realm}?service=${registry.service}&scope=${encodeURIComponent(scope)}`
  const response = await fetch(url, { headers: { authorization: `Basic ${basic}` } })
  return ((await response.json()) as { token: string }).token
}

test('the registry sends clients to the realm the token server serves', async () => {
  const answer = await registryGet('/v2/')
  expect(answer.status).toBe(401)
  expect(answer.challenge).toBe(`Bearer realm="${server.realm}",service="${registry.service}"`)
})

test('docker login goes through the token server: a wrong password is refused, the right one accepted', async () => {
  const config = dockerConfig()
  const before = server.requests.length
  const wrong = await login(config, 'not-the-password')
  expect(wrong.status).not.toBe(0)
  expect(server.requests.slice(before)).toContainEqual(
    expect.objectContaining({ user: registry.user, status: 401 }),
  )
  const right = await login(config, registry.password)
  expect(right.out).toContain('Login Succeeded')
  expect(server.requests.slice(before)).toContainEqual(
    expect.objectContaining({ user: registry.user, status: 200 }),
  )
})

test('a pushed image is in the registry under the digest docker printed, and pulls back', async () => {
  const path = `e2e/token-${Date.now().toString(36)}`
  const ref = `${registry.host}/${path}:1.0.0`
  const config = dockerConfig()
  expect((await login(config, registry.password)).status).toBe(0)
  const before = server.requests.length
  expect((await docker(config, ['tag', image, ref])).status).toBe(0)
  const push = await docker(config, ['push', ref])
  expect(push.status).toBe(0)
  const printed = /digest: (sha256:[0-9a-f]{64})/.exec(push.out)?.[1]
  expect(printed).toBeDefined()
  // the engine asked for (and got) push on exactly this repository, as the test user
  const pushGrants = server.requests
    .slice(before)
    .filter((r) => r.user === registry.user && r.status === 200)
    .flatMap((r) => r.granted)
    .filter((a) => a.type === 'repository' && a.name === path && a.actions.includes('push'))
  expect(pushGrants).not.toEqual([])

  const manifest = await registryGet(
    `/v2/${path}/manifests/1.0.0`,
    await token(`repository:${path}:pull`),
  )
  expect(manifest).toMatchObject({ status: 200, digest: printed })

  expect((await docker(config, ['rmi', ref])).status).toBe(0)
  const pull = await docker(config, ['pull', ref])
  expect(pull.status).toBe(0)
  expect(pull.out).toContain(printed)
  await docker(config, ['rmi', ref])

  // and an anonymous client (no login) is refused the same image
  const anonymous = dockerConfig()
  const before2 = server.requests.length
  const refused = await docker(anonymous, ['pull', ref])
  expect(refused.status).not.toBe(0)
  expect(refused.out).toMatch(/unauthorized|denied|authentication required/i)
  expect(server.requests.slice(before2)).toContainEqual(
    expect.objectContaining({ user: undefined, status: 200, granted: [] }),
  )
})

test('a token with an exact short expiry is refused by the registry once it has expired', async () => {
  server.setExpiresIn(2, true)
  try {
    const bearer = await token('repository:e2e/none:pull')
    expect((await registryGet('/v2/', bearer)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 3_500))
    expect((await registryGet('/v2/', bearer)).status).toBe(401)
  } finally {
    server.setExpiresIn(300, false)
  }
})
