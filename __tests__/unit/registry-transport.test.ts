import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryUnauthorized, StepFailure } from '../../src/model/errors.js'
import { CREDENTIALS_REMEDY } from '../../src/model/remedies.js'
import { HttpRegistry } from '../../src/ports/registry/http.js'
import { USER_AGENT, parseChallenge } from '../../src/ports/registry/http-transport.js'
import type { ImagetoolsCapabilities } from '../../src/ports/registry/imagetools.js'
import { RoutedRegistry } from '../../src/ports/registry/routed.js'
import {
  RegistryServer,
  seedIndex,
  startBlobStore,
  testCertificates,
  type RegistryServerOptions,
  type SeededImage,
} from '../support/registry-server.js'

const FAST = { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 }
const basic = (user: string, password: string): string =>
  Buffer.from(`${user}:${password}`).toString('base64')

const saved = {
  DOCKER_CONFIG: process.env.DOCKER_CONFIG,
  PATH: process.env.PATH,
  MULTIARCH_RELEASE_CERTS_D: process.env.MULTIARCH_RELEASE_CERTS_D,
}
afterEach(() => {
  Object.assign(process.env, saved)
  if (saved.DOCKER_CONFIG === undefined) delete process.env.DOCKER_CONFIG
  if (saved.MULTIARCH_RELEASE_CERTS_D === undefined) delete process.env.MULTIARCH_RELEASE_CERTS_D
})

/** Points DOCKER_CONFIG at a fresh folder holding this config.json. */
function dockerConfig(config: object): void {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  process.env.DOCKER_CONFIG = dir
}

/** Puts `docker-credential-<name>` on PATH: it logs the server URL it was asked for, then answers. */
function credentialHelper(name: string, answer: string, exitCode = 0): () => string[] {
  const bin = mkdtempSync(join(tmpdir(), 'cred-helper-'))
  const log = join(bin, 'asked')
  writeFileSync(log, '')
  const script = join(bin, `docker-credential-${name}`)
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = get ] || exit 3\nprintf '%s\\n' "$(cat)" >> '${log}'\nprintf '%s' '${answer}'\nexit ${exitCode}\n`,
  )
  chmodSync(script, 0o755)
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`
  return () => readFileSync(log, 'utf8').split('\n').filter(Boolean)
}

/** Imagetools that must not be reached: the test proves HTTP did the work. */
const noImagetools: ImagetoolsCapabilities = {
  manifest: () => Promise.reject(new Error('imagetools was used')),
  imageConfig: () => Promise.reject(new Error('imagetools was used')),
  indexConfigs: () => Promise.reject(new Error('imagetools was used')),
  copy: () => Promise.reject(new Error('imagetools was used')),
}

const servers: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

async function registryWith(
  options: RegistryServerOptions,
): Promise<{ server: RegistryServer; seeded: SeededImage; ref: string }> {
  const server = await RegistryServer.start(options)
  servers.push(server)
  const seeded = await seedIndex(server, 'acme/app', '1.0')
  return { server, seeded, ref: `${server.host}/acme/app:1.0` }
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  )

describe('parseChallenge', () => {
  test.each<[string, string, Record<string, string> | undefined]>([
    [
      'a bearer challenge with a comma inside the quoted scope',
      'Bearer realm="https://auth.example.test/token",service="registry.example.test",scope="repository:acme/app:pull,push"',
      {
        scheme: 'bearer',
        realm: 'https://auth.example.test/token',
        service: 'registry.example.test',
        scope: 'repository:acme/app:pull,push',
      },
    ],
    [
      'spaces around = and after commas, names in any case',
      'BEARER Realm = "https://a.test/t" ,  Service="s"',
      { scheme: 'bearer', realm: 'https://a.test/t', service: 's' },
    ],
    [
      'token values without quotes',
      'Bearer realm=https://a.test/t,service=s',
      { scheme: 'bearer', realm: 'https://a.test/t', service: 's' },
    ],
    [
      'an escaped quote in a quoted value',
      'Basic realm="the \\"test\\" realm"',
      { scheme: 'basic', realm: 'the "test" realm' },
    ],
    [
      'two scopes separated by a space',
      'Bearer realm="r",scope="repository:a:pull repository:b:pull,push"',
      { scheme: 'bearer', realm: 'r', scope: 'repository:a:pull repository:b:pull,push' },
    ],
    ['no challenge at all', '', undefined],
  ])('%s', (_name, header, expected) => {
    const parsed = parseChallenge(header)
    expect(parsed && { scheme: parsed.scheme, ...parsed.params }).toEqual(expected)
  })
})

describe('bearer tokens', () => {
  test('a read gets a pull token for the realm, service and scope of the challenge; anonymously when Docker has no credentials', async () => {
    dockerConfig({})
    const { server, seeded, ref } = await registryWith({ auth: 'bearer' })
    const manifest = await new HttpRegistry(undefined, FAST).manifest(ref)
    expect(manifest?.digest).toBe(seeded.index)
    expect(server.tokenRequests).toEqual([
      {
        method: 'GET',
        params: { service: 'in-process-registry', scope: 'repository:acme/app:pull' },
        authorization: undefined,
      },
    ])
    expect(server.requests.map((r) => r.authorization?.split(' ')[0])).toEqual([
      undefined,
      'Bearer',
    ])
  })

  test('a write asks again for the wider scope: pull, then pull,push, with Docker credentials', async () => {
    const { server, seeded } = await registryWith({ auth: 'bearer', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'pw') } } })
    await new HttpRegistry(undefined, FAST).copy(
      `${server.host}/acme/app@${seeded.index}`,
      `${server.host}/acme/app:2.0`,
    )
    expect(server.tagged('acme/app', '2.0')).toBe(seeded.index)
    expect(server.tokenRequests.map((t) => [t.params.scope, t.authorization])).toEqual([
      ['repository:acme/app:pull', `Basic ${basic('ci', 'pw')}`],
      ['repository:acme/app:pull,push', `Basic ${basic('ci', 'pw')}`],
    ])
  })

  test('requests refused at the same moment share one token: one token request for four reads at once', async () => {
    dockerConfig({})
    const { server, seeded, ref } = await registryWith({ auth: 'bearer' })
    const registry = new HttpRegistry(undefined, FAST)
    const digests = await Promise.all([1, 2, 3, 4].map(() => registry.manifest(ref)))
    expect(digests.map((m) => m?.digest)).toEqual(Array(4).fill(seeded.index))
    // All four were refused before any token existed: the refusals are what forces the sharing.
    expect(server.requests.filter((r) => r.authorization === undefined)).toHaveLength(4)
    expect(server.tokenRequests).toHaveLength(1)
  })

  test('the client names itself to the registry and its token server (User-Agent)', async () => {
    const { server, seeded } = await registryWith({ auth: 'bearer', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'pw') } } })
    await new HttpRegistry(undefined, FAST).copy(
      `${server.host}/acme/app@${seeded.index}`,
      `${server.host}/acme/app:2.0`,
    )
    expect(server.tokenRequests).toHaveLength(2)
    expect(new Set(server.userAgents)).toEqual(new Set([USER_AGENT]))
  })

  test('an expired token is refreshed once, and the read goes on', async () => {
    dockerConfig({})
    const { server, seeded, ref } = await registryWith({ auth: 'bearer' })
    const registry = new HttpRegistry(undefined, FAST)
    await registry.manifest(ref)
    server.expireTokens()
    expect((await registry.manifest(ref))?.digest).toBe(seeded.index)
    expect(server.tokenRequests).toHaveLength(2)
  })

  test('a token the registry refuses even after getting it anew: refused credentials, with the remedy', async () => {
    dockerConfig({})
    const { server, ref } = await registryWith({ auth: 'bearer' })
    server.refuseTokens = true
    const failure = await failureOf(new HttpRegistry(undefined, FAST).manifest(ref))
    expect(failure).toBeInstanceOf(RegistryUnauthorized)
    expect((failure as StepFailure).message).toBe(
      `the registry rejected the credentials for ${ref}: GET ${server.host}/acme/app/manifests/1.0: the registry refused the credentials`,
    )
    expect((failure as StepFailure).remedy).toBe(CREDENTIALS_REMEDY)
    // One token, one retry with it: no endless loop.
    expect(server.tokenRequests).toHaveLength(1)
    expect(server.requests).toHaveLength(2)
  })

  test('a wrong password at the token endpoint is refused credentials', async () => {
    const { server, ref } = await registryWith({ auth: 'bearer', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'wrong') } } })
    const failure = await failureOf(new HttpRegistry(undefined, FAST).manifest(ref))
    expect((failure as StepFailure).message).toBe(
      `the registry rejected the credentials for ${ref}: ${server.host} refused a token: 401`,
    )
  })

  test('a token endpoint answering 503 is retried; 400 is a failure naming the endpoint', async () => {
    dockerConfig({})
    const { server, seeded, ref } = await registryWith({ auth: 'bearer' })
    const warnings: string[] = []
    server.tokenFaults.push(503)
    const registry = new HttpRegistry((m) => warnings.push(m), FAST)
    expect((await registry.manifest(ref))?.digest).toBe(seeded.index)
    expect(warnings).toEqual([
      `reading ${ref}: attempt 1 failed (getting a token from ${server.host} failed: 503); retrying`,
    ])
    server.expireTokens()
    server.tokenFaults.push(400)
    await expect(registry.manifest(ref)).rejects.toThrow(
      `getting a token from ${server.host} failed: 400`,
    )
  })

  test('an identity token is traded for an access token by the OAuth2 refresh_token grant', async () => {
    const { server, seeded, ref } = await registryWith({
      auth: 'bearer',
      refreshTokens: ['identity-1'],
    })
    // docker login keeps "user:" as auth beside the identity token.
    dockerConfig({
      auths: { [server.host]: { auth: basic('ci', ''), identitytoken: 'identity-1' } },
    })
    expect((await new HttpRegistry(undefined, FAST).manifest(ref))?.digest).toBe(seeded.index)
    expect(server.tokenRequests).toEqual([
      {
        method: 'POST',
        params: {
          grant_type: 'refresh_token',
          refresh_token: 'identity-1',
          client_id: 'multiarch-release',
          scope: 'repository:acme/app:pull',
          service: 'in-process-registry',
        },
        authorization: undefined,
      },
    ])
  })
})

describe('basic auth', () => {
  test.each([['host:port'], ['https://host:port'], ['http://host:port']])(
    "with config.json's auth stored under %s",
    async (form) => {
      const { server, seeded, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
      dockerConfig({
        auths: { [form.replace('host:port', server.host)]: { auth: basic('ci', 'pw') } },
      })
      expect((await new HttpRegistry(undefined, FAST).manifest(ref))?.digest).toBe(seeded.index)
      expect(server.requests.map((r) => r.authorization)).toEqual([
        undefined,
        `Basic ${basic('ci', 'pw')}`,
      ])
    },
  )

  test('a wrong password is refused credentials, with the remedy', async () => {
    const { server, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'nope') } } })
    const failure = await failureOf(new HttpRegistry(undefined, FAST).manifest(ref))
    expect(failure).toBeInstanceOf(RegistryUnauthorized)
    expect((failure as StepFailure).remedy).toBe(CREDENTIALS_REMEDY)
  })

  test('without credentials it says Docker has none for the registry', async () => {
    dockerConfig({})
    const { server, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    await expect(new HttpRegistry(undefined, FAST).manifest(ref)).rejects.toThrow(
      `the registry rejected the credentials for ${ref}: ${server.host} asks for credentials and Docker has none for it`,
    )
  })

  test('a 403 is refused credentials, without asking again', async () => {
    dockerConfig({})
    const { server, ref } = await registryWith({})
    server.faults.push(403)
    await expect(new HttpRegistry(undefined, FAST).manifest(ref)).rejects.toThrow(
      RegistryUnauthorized,
    )
    expect(server.requests).toHaveLength(1)
  })
})

describe('credential helpers', () => {
  test('credsStore: the helper gets the server URL on stdin, and its password is used over HTTP', async () => {
    const { server, seeded, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    const asked = credentialHelper('store', '{"ServerURL":"x","Username":"ci","Secret":"pw"}')
    dockerConfig({ credsStore: 'store', auths: { [server.host]: {} } })
    const debug: string[] = []
    const registry = new RoutedRegistry(new HttpRegistry(undefined, FAST), noImagetools, (m) =>
      debug.push(m),
    )
    expect((await registry.manifest(ref))?.digest).toBe(seeded.index)
    expect(asked()).toEqual([server.host])
    expect(debug).toEqual([])
  })

  test("credHelpers: the registry's own helper comes before credsStore", async () => {
    const { server, seeded, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    const store = credentialHelper('store', '{"Username":"ci","Secret":"wrong"}')
    const own = credentialHelper('own', '{"Username":"ci","Secret":"pw"}')
    dockerConfig({ credsStore: 'store', credHelpers: { [server.host]: 'own' } })
    expect((await new HttpRegistry(undefined, FAST).manifest(ref))?.digest).toBe(seeded.index)
    expect([own(), store()]).toEqual([[server.host], []])
  })

  test('a helper answering with the user <token> holds an identity token', async () => {
    const { seeded, ref, server } = await registryWith({
      auth: 'bearer',
      refreshTokens: ['from-helper'],
    })
    credentialHelper('store', '{"Username":"<token>","Secret":"from-helper"}')
    dockerConfig({ credsStore: 'store' })
    expect((await new HttpRegistry(undefined, FAST).manifest(ref))?.digest).toBe(seeded.index)
    expect(server.tokenRequests[0]?.params.refresh_token).toBe('from-helper')
  })

  test('a helper that knows nothing of the registry means no credentials', async () => {
    const { server, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    credentialHelper('store', 'credentials not found in native keychain', 1)
    dockerConfig({ credsStore: 'store' })
    await expect(new HttpRegistry(undefined, FAST).manifest(ref)).rejects.toThrow(
      `${server.host} asks for credentials and Docker has none for it`,
    )
  })

  test.each([
    [
      'fails',
      'the keychain is locked',
      2,
      /docker-credential-store failed for .*: the keychain is locked/,
    ],
    ['answers no JSON', 'hello', 0, /docker-credential-store answered something other than JSON/],
  ])(
    'a helper that %s leaves the registry to imagetools, for good',
    async (_name, answer, exitCode, reason) => {
      const { server, ref } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
      credentialHelper('store', answer, exitCode)
      dockerConfig({ credsStore: 'store' })
      const debug: string[] = []
      const viaImagetools: string[] = []
      const registry = new RoutedRegistry(
        new HttpRegistry(undefined, FAST),
        {
          ...noImagetools,
          manifest: (r) => {
            viaImagetools.push(r)
            return Promise.resolve(undefined)
          },
        },
        (m) => debug.push(m),
      )
      await registry.manifest(ref)
      await registry.manifest(ref)
      expect(viaImagetools).toEqual([ref, ref])
      expect(debug).toHaveLength(1)
      expect(debug[0]).toMatch(reason)
      expect(debug[0]).toMatch(new RegExp(`^${server.host}: using docker buildx imagetools`))
    },
  )
})

describe('redirects', () => {
  test('a blob redirected to another host:port is fetched without the Authorization header', async () => {
    const { server, seeded } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'pw') } } })
    const store = await startBlobStore(server)
    servers.push(store)
    server.blobsAt = store.url
    const config = await new HttpRegistry(undefined, FAST).imageConfig(
      `${server.host}/acme/app@${seeded.platforms.amd64 ?? ''}`,
    )
    expect(config.entrypoint).toEqual(['/bin/app'])
    expect(store.authorizations).toEqual([undefined])
    const blobRead = server.requests.find((r) => r.path.includes('/blobs/'))
    expect(blobRead?.authorization).toBe(`Basic ${basic('ci', 'pw')}`)
  })

  test('a redirect to the same host keeps it', async () => {
    const { server, seeded } = await registryWith({ auth: 'basic', users: { ci: 'pw' } })
    dockerConfig({ auths: { [server.host]: { auth: basic('ci', 'pw') } } })
    server.blobsAt = `http://${server.host}/storage`
    await new HttpRegistry(undefined, FAST).imageConfig(
      `${server.host}/acme/app@${seeded.platforms.amd64 ?? ''}`,
    )
    const storage = server.requests.find((r) => r.path.startsWith('/storage/'))
    expect(storage?.authorization).toBe(`Basic ${basic('ci', 'pw')}`)
  })
})

describe('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'registry-tls-'))
  const certificates = testCertificates(join(dir, 'ca'))

  /** The registry spelled as a number, so that it is not taken for a plain-HTTP loopback one. */
  const tlsRegistry = async (): Promise<{ server: RegistryServer; name: string }> => {
    const server = await RegistryServer.start({ tls: certificates })
    servers.push(server)
    await seedIndex(server, 'acme/app', '1.0')
    return { server, name: `2130706433:${server.port}` }
  }

  test('with the CA of its certs.d folder (MULTIARCH_RELEASE_CERTS_D), over HTTPS', async () => {
    dockerConfig({})
    const { server, name } = await tlsRegistry()
    const certsD = join(dir, `certs.d-${server.port}`)
    mkdirSync(join(certsD, name), { recursive: true })
    writeFileSync(join(certsD, name, 'ca.crt'), certificates.ca)
    process.env.MULTIARCH_RELEASE_CERTS_D = certsD
    const registry = new RoutedRegistry(new HttpRegistry(undefined, FAST), noImagetools)
    expect((await registry.manifest(`${name}/acme/app:1.0`))?.mediaType).toBe(
      'application/vnd.oci.image.index.v1+json',
    )
    expect(server.requests).toHaveLength(1)
  })

  test('a certificate it cannot verify signals the fallback: imagetools, for good', async () => {
    dockerConfig({})
    const { server, name } = await tlsRegistry()
    process.env.MULTIARCH_RELEASE_CERTS_D = join(dir, 'empty-certs.d')
    const debug: string[] = []
    const viaImagetools: string[] = []
    const registry = new RoutedRegistry(
      new HttpRegistry(undefined, FAST),
      {
        ...noImagetools,
        manifest: (ref) => {
          viaImagetools.push(ref)
          return Promise.resolve(undefined)
        },
      },
      (m) => debug.push(m),
    )
    await registry.manifest(`${name}/acme/app:1.0`)
    await registry.manifest(`${name}/acme/app:2.0`)
    expect(viaImagetools).toEqual([`${name}/acme/app:1.0`, `${name}/acme/app:2.0`])
    expect(debug).toHaveLength(1)
    expect(debug[0]).toMatch(
      new RegExp(
        `^${name}: using docker buildx imagetools \\(127\\.0\\.0\\.1:${server.port}: (SELF_SIGNED|UNABLE_TO)`,
      ),
    )
    expect(await registry.fileHead(`${name}/acme/app@sha256:${'0'.repeat(64)}`, '/bin/app')).toBe(
      undefined,
    )
    expect(server.requests).toEqual([])
  })
})

describe('transient failures', () => {
  test('5xx and 429 are retried, with a warning each', async () => {
    const { server, seeded, ref } = await registryWith({})
    server.faults.push(503, 429)
    const warnings: string[] = []
    const manifest = await new HttpRegistry((m) => warnings.push(m), FAST).manifest(ref)
    expect(manifest?.digest).toBe(seeded.index)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/^reading .*: attempt 1 failed \(GET .*manifests\/1\.0: 503 /)
  })

  test('still failing after the retries: a failure naming the read and the status', async () => {
    const { server, ref } = await registryWith({})
    server.faults.push(500, 500, 500)
    const failure = await failureOf(new HttpRegistry(undefined, FAST).manifest(ref))
    expect(failure).toBeInstanceOf(StepFailure)
    expect((failure as StepFailure).message).toBe(
      `reading ${ref} failed: GET ${server.host}/acme/app/manifests/1.0: 500 {"errors":[{"code":"FAULT","message":"injected 500"}]}`,
    )
    expect(server.requests).toHaveLength(3)
  })

  test('a refused connection is transient too', async () => {
    const { server, ref } = await registryWith({})
    const host = server.host
    await server.close()
    servers.splice(servers.indexOf(server), 1)
    await expect(new HttpRegistry(undefined, FAST).manifest(ref)).rejects.toThrow(
      `reading ${ref} failed: ${host}: ECONNREFUSED`,
    )
  })
})
