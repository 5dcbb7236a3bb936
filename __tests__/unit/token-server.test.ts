import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'
import {
  libtrustKeyId,
  parseScopes,
  REGISTRY_LEEWAY_SECONDS,
  startTokenServer,
  TokenIssuer,
  type TokenRegistrySettings,
  type TokenServer,
} from '../support/token-server.js'

// Public keys and the IDs Go's github.com/docker/libtrust (KeyID()) gives them: real output of
// the library distribution 2.8 matches a token's `kid` with.
const EC_PUBLIC_KEY = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4X2YiqCJr2LreUjddmUqUjiXMNZg',
  'kKIMj96NqXZamhsZinq8FaTsPq9VVrBxCLhOKOsepJnc2I3kij4H1fxrww==',
  '-----END PUBLIC KEY-----',
].join('\n')
const EC_LIBTRUST_ID = 'EYRJ:ORTL:B6UO:I6DA:H7YL:GH5C:7LQ3:BNKC:QWSQ:DSYH:NNP6:RGZH'
const RSA_PUBLIC_KEY = [
  '-----BEGIN PUBLIC KEY-----',
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmf4HK9FCa9rsuIl6FIDv',
  '3ZaubcP0pBQL2oS97EBUmTQri5/BIdsGEr2Rscxdh0qqLWsCRvLiunILR7O/F7SZ',
  'XFydb4kTtpvRPrr4tt+RXixVL/2l/h/pbmvIYWf1twFj/Y4Osfse4aA/74AmiHaD',
  'ZexMZjoByjoym3KDnLDTGNQB5wTSnUw5dM7aHaVGR5/3l3p/bqKMwKS6NR88Wec1',
  '7HNRpBBOobnA3969kobMacuO/lUI2ixeg8A2XjLtvurxUL7Ly0b5lhxHi/GciEGx',
  'vvboSX+OC57VCcsJlCRelJjonZP1j8ss/jp2qapg9M2StynpLlk+w0l+CeznlP1N',
  '4QIDAQAB',
  '-----END PUBLIC KEY-----',
].join('\n')
const RSA_LIBTRUST_ID = '5JIR:VYM5:SLX3:QYPN:D3UD:SJUH:FW2P:TOM3:I4TP:ZYM4:3RQE:RIGU'

const ISSUER = 'unit-issuer'
const SERVICE = 'unit-registry'

/** A signing key and its self-signed certificate (the registry's rootcertbundle), by openssl. */
function signingPair(dir: string, kind: 'ec' | 'rsa'): { key: string; cert: string } {
  const key = join(dir, `${kind}.key`)
  const cert = join(dir, `${kind}.crt`)
  const algorithm =
    kind === 'ec'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
  execFileSync('openssl', ['genpkey', ...algorithm, '-out', key], { stdio: 'pipe' })
  execFileSync(
    'openssl',
    ['req', '-x509', '-new', '-days', '2', '-key', key, '-out', cert, '-subj', `/CN=${ISSUER}`],
    { stdio: 'pipe' },
  )
  return { key, cert }
}

let dir: string
let ec: { key: string; cert: string }
let rsa: { key: string; cert: string }
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'token-server-'))
  ec = signingPair(dir, 'ec')
  rsa = signingPair(dir, 'rsa')
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Verifies as distribution 2.8 does: x5c leaf issued by a bundle certificate, then the claims. */
async function verifyAsRegistry(token: string, bundlePem: string, at: Date) {
  const header = decodeProtectedHeader(token)
  const leaf = new X509Certificate(Buffer.from(header.x5c?.[0] ?? '', 'base64'))
  const root = new X509Certificate(bundlePem)
  expect(leaf.checkIssued(root) && leaf.verify(root.publicKey)).toBe(true)
  const key = await importX509(leaf.toString(), header.alg ?? '')
  const { payload } = await jwtVerify(token, key, {
    issuer: ISSUER,
    audience: SERVICE,
    currentDate: at,
    clockTolerance: REGISTRY_LEEWAY_SECONDS,
  })
  return { header, payload }
}

describe('libtrustKeyId', () => {
  test.each([
    ['EC P-256', EC_PUBLIC_KEY, EC_LIBTRUST_ID],
    ['RSA 2048', RSA_PUBLIC_KEY, RSA_LIBTRUST_ID],
  ])('gives a %s key the ID Go libtrust gives it', (_kind, pem, id) => {
    expect(libtrustKeyId(pem)).toBe(id)
  })
})

describe('parseScopes', () => {
  test.each([
    [
      ['repository:e2e/app:pull,push'],
      [{ type: 'repository', name: 'e2e/app', actions: ['pull', 'push'] }],
    ],
    [
      ['repository:a:pull repository:b/c:pull,push,delete'],
      [
        { type: 'repository', name: 'a', actions: ['pull'] },
        { type: 'repository', name: 'b/c', actions: ['pull', 'push', 'delete'] },
      ],
    ],
    [['registry:catalog:*'], [{ type: 'registry', name: 'catalog', actions: ['*'] }]],
    [['repository(plugin):x:pull'], [{ type: 'repository(plugin)', name: 'x', actions: ['pull'] }]],
    [['nonsense', 'repository::pull', ':x:pull'], []],
  ])('%j', (scopes, expected) => {
    expect(parseScopes(scopes)).toEqual(expected)
  })
})

describe('TokenIssuer', () => {
  test.each(['ec', 'rsa'] as const)(
    'signs a %s token the registry verifies: x5c to the bundle, kid, string aud, access',
    async (kind) => {
      const pair = kind === 'ec' ? ec : rsa
      const certPem = readFileSync(pair.cert, 'utf8')
      const issuer = await TokenIssuer.fromPem(
        readFileSync(pair.key, 'utf8'),
        certPem,
        ISSUER,
        SERVICE,
      )
      const now = new Date()
      const access = [{ type: 'repository', name: 'e2e/app', actions: ['pull', 'push'] }]
      const token = await issuer.issue('ci', access, 120, now)
      const { header, payload } = await verifyAsRegistry(token, certPem, now)
      expect(header.alg).toBe(kind === 'ec' ? 'ES256' : 'RS256')
      const publicPem = new X509Certificate(certPem).publicKey
        .export({ type: 'spki', format: 'pem' })
        .toString()
      expect(header.kid).toBe(libtrustKeyId(publicPem))
      expect(payload.aud).toBe(SERVICE)
      expect(payload.sub).toBe('ci')
      expect(payload.access).toEqual(access)
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120)
      expect(payload.nbf).toBe(payload.iat)
    },
  )

  test('a token signed by another key does not verify against the bundle', async () => {
    const issuer = await TokenIssuer.fromPem(
      readFileSync(rsa.key, 'utf8'),
      readFileSync(rsa.cert, 'utf8'),
      ISSUER,
      SERVICE,
    )
    const token = await issuer.issue('ci', [], 60)
    const leaf = new X509Certificate(
      Buffer.from(decodeProtectedHeader(token).x5c?.[0] ?? '', 'base64'),
    )
    expect(leaf.checkIssued(new X509Certificate(readFileSync(ec.cert, 'utf8')))).toBe(false)
  })

  test('an expiry offset pulls exp back so the registry refuses it once expires_in has passed', async () => {
    const certPem = readFileSync(ec.cert, 'utf8')
    const issuer = await TokenIssuer.fromPem(readFileSync(ec.key, 'utf8'), certPem, ISSUER, SERVICE)
    const now = new Date('2030-01-01T00:00:00Z')
    const token = await issuer.issue('ci', [], 5, now, REGISTRY_LEEWAY_SECONDS)
    await expect(
      verifyAsRegistry(token, certPem, new Date(now.getTime() + 4_000)),
    ).resolves.toBeDefined()
    await expect(verifyAsRegistry(token, certPem, new Date(now.getTime() + 6_000))).rejects.toThrow(
      /exp/,
    )
  })
})

describe('startTokenServer', () => {
  let server: TokenServer
  let settings: TokenRegistrySettings
  beforeEach(async () => {
    settings = {
      host: '127.0.0.1:1',
      realm: 'http://127.0.0.1:1/token',
      service: SERVICE,
      issuer: ISSUER,
      user: 'ci',
      password: 'secret',
      ca: '',
      signingKey: ec.key,
      signingCert: ec.cert,
    }
    server = await startTokenServer({ settings, port: 0, expiresInSeconds: 30 })
  })
  afterEach(async () => {
    await server.close()
  })

  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const get = (query: string, authorization?: string) =>
    fetch(`${server.realm}?${query}`, authorization ? { headers: { authorization } } : {})

  test('grants the scopes asked to the test user (GET with basic credentials)', async () => {
    const response = await get(
      `service=${SERVICE}&scope=repository:e2e/a:pull,push&scope=repository:e2e/b:pull,push,delete`,
      basic('ci', 'secret'),
    )
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      token: string
      access_token: string
      expires_in: number
    }
    expect(body.expires_in).toBe(30)
    expect(body.access_token).toBe(body.token)
    const { payload } = await verifyAsRegistry(
      body.token,
      readFileSync(ec.cert, 'utf8'),
      new Date(),
    )
    expect(payload.access).toEqual([
      { type: 'repository', name: 'e2e/a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'e2e/b', actions: ['pull', 'push', 'delete'] },
    ])
    expect(server.requests).toEqual([
      expect.objectContaining({ method: 'GET', user: 'ci', status: 200, expiresIn: 30 }),
    ])
  })

  test('refuses a wrong password with 401 and records it', async () => {
    const response = await get(`service=${SERVICE}&scope=repository:x:pull`, basic('ci', 'nope'))
    expect(response.status).toBe(401)
    expect(server.requests[0]).toMatchObject({ status: 401, user: 'ci', granted: [] })
  })

  test('gives an anonymous client a token without access', async () => {
    const response = await get(`service=${SERVICE}&scope=repository:x:pull`)
    expect(response.status).toBe(200)
    const { token } = (await response.json()) as { token: string }
    const { payload } = await verifyAsRegistry(token, readFileSync(ec.cert, 'utf8'), new Date())
    expect(payload.access).toEqual([])
    expect(server.requests[0]).toMatchObject({ user: undefined, granted: [] })
  })

  test('answers the OAuth2 password grant BuildKit posts', async () => {
    const form = new URLSearchParams({
      grant_type: 'password',
      username: 'ci',
      password: 'secret',
      service: SERVICE,
      scope: 'repository:e2e/a:pull repository:e2e/a:push',
      client_id: 'buildkit-client',
    })
    const response = await fetch(server.realm, { method: 'POST', body: form })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; expires_in: number }
    const { payload } = await verifyAsRegistry(
      body.access_token,
      readFileSync(ec.cert, 'utf8'),
      new Date(),
    )
    expect(payload.access).toEqual([
      { type: 'repository', name: 'e2e/a', actions: ['pull'] },
      { type: 'repository', name: 'e2e/a', actions: ['push'] },
    ])
    expect(server.requests[0]).toMatchObject({ method: 'POST', grantType: 'password', user: 'ci' })
  })

  test('a new lifetime applies to the tokens issued after it', async () => {
    server.setExpiresIn(2, true)
    const response = await get(`service=${SERVICE}&scope=repository:x:pull`, basic('ci', 'secret'))
    const body = (await response.json()) as { token: string; expires_in: number }
    expect(body.expires_in).toBe(2)
    const { payload } = await verifyAsRegistry(
      body.token,
      readFileSync(ec.cert, 'utf8'),
      new Date(),
    )
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(2 - REGISTRY_LEEWAY_SECONDS)
  })

  test('with refresh tokens, offline_token=true gets one that the refresh grant honours', async () => {
    await server.close()
    server = await startTokenServer({ settings, port: 0, refreshTokens: true })
    const first = await get(
      `service=${SERVICE}&offline_token=true&client_id=docker`,
      basic('ci', 'secret'),
    )
    const { refresh_token: refresh } = (await first.json()) as { refresh_token?: string }
    expect(refresh).toEqual(expect.any(String))
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refresh ?? '',
      service: SERVICE,
      scope: 'repository:e2e/a:pull',
    })
    const again = await fetch(server.realm, { method: 'POST', body: form })
    expect(again.status).toBe(200)
    const bad = await fetch(server.realm, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'forged' }),
    })
    expect(bad.status).toBe(401)
    expect(server.requests.map((r) => [r.grantType, r.user, r.status])).toEqual([
      [undefined, 'ci', 200],
      ['refresh_token', 'ci', 200],
      ['refresh_token', undefined, 401],
    ])
  })

  test('refuses an unknown service', async () => {
    const response = await get('service=other&scope=repository:x:pull', basic('ci', 'secret'))
    expect(response.status).toBe(400)
  })
})
