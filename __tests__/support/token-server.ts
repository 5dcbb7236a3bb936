import { createHash, createPublicKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { importPKCS8, SignJWT } from 'jose'

/**
 * A Docker token-auth server (the "realm" of a registry configured with `auth: token`), as
 * Docker Hub, GHCR or Harbor run one: it checks basic credentials, issues JWTs the registry
 * verifies against its rootcertbundle, and records every request so tests can judge what the
 * engine and BuildKit asked for. Registry side: scripts/stack/token-registry.sh.
 */

const ENV_FILE = '/etc/multiarch-release/registry-token.env'

/** Distribution 2.8 accepts a token up to this long after its `exp` (token.Leeway). */
export const REGISTRY_LEEWAY_SECONDS = 60

/** What scripts/stack/token-registry.sh wrote: the registry, its realm and the signing key. */
export interface TokenRegistrySettings {
  /** host:port of the TLS registry (on the docker0 address). */
  readonly host: string
  /** The realm URL the registry sends clients to, e.g. http://127.0.0.1:5445/token. */
  readonly realm: string
  readonly service: string
  readonly issuer: string
  readonly user: string
  readonly password: string
  /** CA of the registry's TLS certificate (Node.js: NODE_EXTRA_CA_CERTS). */
  readonly ca: string
  /** PEM files: the key that signs tokens and its certificate (the registry's rootcertbundle). */
  readonly signingKey: string
  readonly signingCert: string
}

export function tokenRegistry(envFile = ENV_FILE): TokenRegistrySettings {
  if (!existsSync(envFile))
    throw new Error(`${envFile} is missing: run scripts/stack/token-registry.sh (setup)`)
  const values = new Map(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  )
  const need = (key: string): string => {
    const value = values.get(key)
    if (!value) throw new Error(`${envFile} has no ${key}: re-run its setup`)
    return value
  }
  return {
    host: need('REGISTRY_TOKEN_HOST'),
    realm: need('REGISTRY_TOKEN_REALM'),
    service: need('REGISTRY_TOKEN_SERVICE'),
    issuer: need('REGISTRY_TOKEN_ISSUER'),
    user: need('REGISTRY_TOKEN_USER'),
    password: need('REGISTRY_TOKEN_PASSWORD'),
    ca: need('REGISTRY_TOKEN_CA'),
    signingKey: need('REGISTRY_TOKEN_SIGNING_KEY'),
    signingCert: need('REGISTRY_TOKEN_SIGNING_CERT'),
  }
}

/** One entry of a token's `access` claim, e.g. repository "e2e/app" with ["pull", "push"]. */
export interface Access {
  readonly type: string
  readonly name: string
  readonly actions: string[]
}

/** A request to the realm, as recorded. */
export interface TokenRequest {
  readonly at: Date
  readonly method: string
  /** "password" or "refresh_token" for OAuth2 POSTs; undefined for the GET flow. */
  readonly grantType: string | undefined
  /** Undefined when the client sent no credentials. */
  readonly user: string | undefined
  readonly service: string | undefined
  readonly requested: Access[]
  readonly granted: Access[]
  /** 200 with a token, 401 for bad credentials, 400 for a malformed request. */
  readonly status: number
  readonly expiresIn: number
  /** The client's User-Agent: the action's registry client says multiarch-release. */
  readonly userAgent: string | undefined
}

export interface TokenServerOptions {
  /** Default: the realm's port from the env file (the registry's config names it). */
  readonly port?: number
  /** user -> password; default: the test user of the env file. */
  readonly users?: Readonly<Record<string, string>>
  /** Lifetime of each token (the `expires_in` answered and the `exp` claim); default 300 s. */
  readonly expiresInSeconds?: number
  /**
   * Pull `exp` back by the registry's 60 s leeway, so the registry refuses a token as soon as
   * expires_in has passed: what a refresh-on-401 test needs with short lifetimes.
   */
  readonly exactExpiry?: boolean
  /** Actions a user may have on a resource; default: everything asked, anonymous nothing. */
  readonly permit?: (user: string | undefined, type: string, name: string) => readonly string[]
  /** Answer refresh tokens for `offline_token=true` (docker login then stores an identity token). */
  readonly refreshTokens?: boolean
  readonly settings?: TokenRegistrySettings
}

export interface TokenServer {
  readonly realm: string
  readonly requests: readonly TokenRequest[]
  /** Change the lifetime of tokens issued from now on. */
  setExpiresIn(seconds: number, exactExpiry?: boolean): void
  close(): Promise<void>
}

/**
 * Parses `scope` values: "repository:e2e/app:pull,push" (the name may hold colons, e.g. a
 * port in a path is not allowed but "registry:catalog:*" is). Malformed scopes are skipped.
 */
export function parseScopes(scopes: readonly string[]): Access[] {
  const out: Access[] = []
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const first = scope.indexOf(':')
    const last = scope.lastIndexOf(':')
    if (first <= 0 || last <= first + 1) continue
    const actions = scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean)
    out.push({ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions })
  }
  return out
}

/** The key ID libtrust (hence distribution 2.8) gives a public key: SHA-256 of its DER, base32. */
export function libtrustKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30))
  return encoded.match(/.{1,4}/g)?.join(':') ?? ''
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet.charAt((value >>> (bits - 5)) & 31)
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet.charAt((value << (5 - bits)) & 31)
  return out
}

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>

/** Signs registry tokens: ES256 or RS256 by the key type, with `x5c` and libtrust `kid`. */
export class TokenIssuer {
  private constructor(
    private readonly key: SigningKey,
    private readonly alg: 'ES256' | 'RS256',
    private readonly x5c: string[],
    private readonly kid: string,
    private readonly issuer: string,
    private readonly service: string,
  ) {}

  static async fromPem(
    keyPem: string,
    certPem: string,
    issuer: string,
    service: string,
  ): Promise<TokenIssuer> {
    const cert = new X509Certificate(certPem)
    const keyType = cert.publicKey.asymmetricKeyType
    if (keyType !== 'ec' && keyType !== 'rsa')
      throw new Error(`token signing certificate: unsupported key type ${String(keyType)}`)
    const alg = keyType === 'ec' ? 'ES256' : 'RS256'
    const key = await importPKCS8(keyPem, alg)
    const kid = libtrustKeyId(cert.publicKey.export({ type: 'spki', format: 'pem' }).toString())
    return new TokenIssuer(key, alg, [cert.raw.toString('base64')], kid, issuer, service)
  }

  /**
   * A token for `subject` with `access`. Distribution 2.8 looks for the key in `x5c` first
   * (a chain to its rootcertbundle), then in `kid` (libtrust ID of a bundle certificate's key);
   * `aud` must be a single string equal to its service.
   */
  async issue(
    subject: string,
    access: readonly Access[],
    expiresInSeconds: number,
    now = new Date(),
    expOffsetSeconds = 0,
  ): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000)
    return new SignJWT({ access })
      .setProtectedHeader({ alg: this.alg, typ: 'JWT', kid: this.kid, x5c: this.x5c })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(this.service)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + expiresInSeconds - expOffsetSeconds)
      .setJti(`${iat}-${Math.random().toString(36).slice(2)}`)
      .sign(this.key)
  }
}

/** Starts the realm on 127.0.0.1 (the port the registry's config names). */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const settings = options.settings ?? tokenRegistry()
  const realmUrl = new URL(settings.realm)
  const port = options.port ?? Number(realmUrl.port)
  const users = options.users ?? { [settings.user]: settings.password }
  const permit = options.permit ?? ((user) => (user ? ['*'] : []))
  let expiresIn = options.expiresInSeconds ?? 300
  let exactExpiry = options.exactExpiry ?? false
  const issuer = await TokenIssuer.fromPem(
    readFileSync(settings.signingKey, 'utf8'),
    readFileSync(settings.signingCert, 'utf8'),
    settings.issuer,
    settings.service,
  )
  const refreshTokens = new Map<string, string>()
  const requests: TokenRequest[] = []

  const grant = (user: string | undefined, requested: Access[]): Access[] =>
    requested
      .map((a) => {
        const allowed = permit(user, a.type, a.name)
        const actions = allowed.includes('*')
          ? a.actions
          : a.actions.filter((x) => allowed.includes(x))
        return { ...a, actions }
      })
      .filter((a) => a.actions.length > 0)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
    const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : undefined
    const params = form ?? url.searchParams
    const grantType = form?.get('grant_type') ?? undefined
    const service = params.get('service') ?? undefined
    const requested = parseScopes(params.getAll('scope'))
    const record = (status: number, user: string | undefined, granted: Access[]): void => {
      requests.push({
        at: new Date(),
        method: req.method ?? '?',
        grantType,
        user,
        service,
        requested,
        granted,
        status,
        expiresIn,
        userAgent: req.headers['user-agent'],
      })
    }
    const refuse = (status: number, user: string | undefined, message: string): void => {
      record(status, user, [])
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 401 ? { 'www-authenticate': `Basic realm="${settings.realm}"` } : {}),
      })
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }] }))
    }

    if (url.pathname !== realmUrl.pathname || (req.method !== 'GET' && req.method !== 'POST')) {
      refuse(404, undefined, `no such endpoint: ${req.method ?? ''} ${url.pathname}`)
      return
    }
    let user: string | undefined
    if (grantType === 'refresh_token') {
      user = refreshTokens.get(form?.get('refresh_token') ?? '')
      if (user === undefined) {
        refuse(401, undefined, 'unknown refresh token')
        return
      }
    } else if (grantType === 'password') {
      const name = form?.get('username') ?? ''
      if (users[name] === undefined || users[name] !== form?.get('password')) {
        refuse(401, name, 'wrong user name or password')
        return
      }
      user = name
    } else if (grantType !== undefined) {
      refuse(400, undefined, `unsupported grant_type ${grantType}`)
      return
    } else if (req.headers.authorization !== undefined) {
      const basic = parseBasic(req.headers.authorization)
      if (!basic || users[basic.user] === undefined || users[basic.user] !== basic.password) {
        refuse(401, basic?.user, 'wrong user name or password')
        return
      }
      user = basic.user
    }
    if (service !== undefined && service !== settings.service) {
      refuse(400, user, `unknown service ${service}`)
      return
    }

    const granted = grant(user, requested)
    const now = new Date()
    const token = await issuer.issue(
      user ?? '',
      granted,
      expiresIn,
      now,
      exactExpiry ? REGISTRY_LEEWAY_SECONDS : 0,
    )
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: now.toISOString(),
    }
    const wantsRefresh = params.get('offline_token') === 'true' || grantType === 'password'
    if (options.refreshTokens && user !== undefined && wantsRefresh) {
      const refresh = `${user}-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
      refreshTokens.set(refresh, user)
      body.refresh_token = refresh
    }
    record(200, user, granted)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  return {
    realm: `http://127.0.0.1:${bound}${realmUrl.pathname}`,
    requests,
    setExpiresIn(seconds: number, exact = exactExpiry) {
      expiresIn = seconds
      exactExpiry = exact
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

function parseBasic(header: string): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header)
  if (!match?.[1]) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
  })
}
