import { jest } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { dockerCalls } from '../support/docker-fault.js'
import {
  STACK,
  dockerEnv,
  docker as dockerSync,
  freshDockerConfig,
} from '../support/engine-stack.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { REPO_ROOT, requireStack } from '../support/stack.js'
import {
  startTokenServer,
  tokenRegistry,
  type TokenRegistrySettings,
  type TokenRequest,
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
  dockerSync(['buildx', 'build', '--builder', 'default', '-q', '--load', '-t', image, 'example'], {
    cwd: REPO_ROOT,
  })
})
afterAll(async () => {
  await server.close()
  spawnSync('docker', ['rmi', image], { stdio: 'ignore', env: dockerEnv() })
  for (const c of configs) rmSync(c, { recursive: true, force: true })
})

/** An empty Docker config of its own: no login of the machine leaks into the test. */
function dockerConfig(): string {
  const dir = freshDockerConfig()
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
    const child = spawn('docker', args, { env: dockerEnv({ DOCKER_CONFIG: config }) })
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

describe('a release to the token-auth registry', () => {
  const worlds: ReleaseWorld[] = []
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.github.close()
  })
  async function world(label: string): Promise<ReleaseWorld> {
    const path = `e2e/token-${label}-${Date.now().toString(36)}`
    const w = await releaseWorld(label, {}, { name: `${registry.host}/${path}`, path })
    worlds.push(w)
    return w
  }

  /** The realm requests the action's own registry client made (it names itself). */
  const actionRequests = (from: number): TokenRequest[] =>
    server.requests.slice(from).filter((r) => r.userAgent === 'multiarch-release')
  // actions sorted: distribution's challenges name them in either order
  const scopes = (requests: readonly TokenRequest[]): string[] =>
    requests.flatMap((r) =>
      r.requested.map((a) => `${a.type}:${a.name}:${[...a.actions].sort().join(',')}`),
    )

  /** Every final tag of the version on the digest, read over the registry's API. */
  async function expectPromoted(w: ReleaseWorld, digest: string | undefined): Promise<void> {
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const bearer = await token(`repository:${w.image.path}:pull`)
    for (const tag of ['1.0.0', '1.0', '1', 'latest']) {
      expect(await registryGet(`/v2/${w.image.path}/manifests/${tag}`, bearer)).toMatchObject({
        status: 200,
        digest,
      })
    }
  }

  /**
   * Reads (pull), pushes and tag copies (pull,push) went over the bearer flow as the test user;
   * no delete was ever asked (no candidate is tagged, so nothing is left to delete), and no
   * `buildx imagetools` ran.
   */
  function expectBearerOnly(
    w: ReleaseWorld,
    mine: readonly TokenRequest[],
    calls: readonly string[],
    stdout: string,
  ): void {
    expect(mine.length).toBeGreaterThan(0)
    for (const r of mine) expect(r).toMatchObject({ user: registry.user, status: 200 })
    expect([...new Set(scopes(mine))].sort()).toEqual([
      `repository:${w.image.path}:pull`,
      `repository:${w.image.path}:pull,push`,
    ])
    expect(calls.filter((c) => /\bimagetools\b/.test(c))).toEqual([])
    expect(stdout).not.toMatch(/using docker buildx imagetools/)
  }

  test('logged in with docker login: reads, pushes and copies over the bearer flow, each scope asked once, never a delete, never through imagetools', async () => {
    const w = await world('login')
    const config = dockerConfig()
    expect((await login(config, registry.password)).status).toBe(0)
    const recorder = dockerCalls(STACK, config)
    const before = server.requests.length
    const run = await w.run(
      { version: '1.0.0', 'smoke-run': 'true' },
      { env: { ...recorder.env, RUNNER_DEBUG: '1' } },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    await expectPromoted(w, run.outputs.digest)
    const mine = actionRequests(before)
    expectBearerOnly(w, mine, recorder.calls(), run.stdout)
    // a token is kept while it is valid: each scope is asked for once in the whole run
    expect(scopes(mine)).toHaveLength(new Set(scopes(mine)).size)
  })

  test('with registry-username and registry-password: the action logs in through the realm, releases over the bearer flow, then logs out', async () => {
    const w = await world('inputs')
    const config = dockerConfig()
    const recorder = dockerCalls(STACK, config)
    const before = server.requests.length
    const run = await w.run(
      {
        version: '1.0.0',
        'smoke-run': 'true',
        'registry-username': registry.user,
        'registry-password': registry.password,
      },
      {
        env: { ...recorder.env, RUNNER_DEBUG: '1' },
        secrets: [registry.password],
      },
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    await expectPromoted(w, run.outputs.digest)
    expect(recorder.calls()).toContainEqual(
      `login ${registry.host} --username ${registry.user} --password-stdin`,
    )
    expectBearerOnly(w, actionRequests(before), recorder.calls(), run.stdout)
    const left = JSON.parse(readFileSync(`${config}/config.json`, 'utf8')) as {
      auths?: Record<string, unknown>
    }
    expect(left.auths?.[registry.host]).toBeUndefined()
  })

  test('tokens that expire within seconds: on the 401 of an expired token the client asks the realm again, and the release completes', async () => {
    const w = await world('expiring')
    const config = dockerConfig()
    expect((await login(config, registry.password)).status).toBe(0)
    const lifetime = 2
    server.setExpiresIn(lifetime, true)
    try {
      const before = server.requests.length
      // the smoke test outlives every token the action held before it
      const run = await w.run(
        { version: '1.0.0', 'smoke-run': `sleep ${lifetime + 1}` },
        { env: { DOCKER_CONFIG: config } },
      )
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      await expectPromoted(w, run.outputs.digest)
      // some scope asked for again after its token had expired: only a 401 makes it ask
      const mine = actionRequests(before)
      const again = mine.filter((r, i) =>
        mine
          .slice(0, i)
          .some(
            (earlier) =>
              scopes([earlier]).join() === scopes([r]).join() &&
              r.at.getTime() - earlier.at.getTime() >= lifetime * 1000,
          ),
      )
      expect(again).not.toEqual([])
    } finally {
      server.setExpiresIn(300, false)
    }
  })
})
