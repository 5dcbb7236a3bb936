import { existsSync, readFileSync } from 'node:fs'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { StepFailure } from '../../model/errors.js'
import { dockerCredentials, type Credentials } from './docker-config.js'
import { HttpUnauthorized, HttpUnavailable, TransientHttpFailure } from './errors.js'

/** Docker's trust for a registry: <certs.d>/<host>/ca.crt, as the engine reads it. */
export function registryCa(registry: string): string[] | undefined {
  const file = join(
    process.env.MULTIARCH_RELEASE_CERTS_D ?? '/etc/docker/certs.d',
    registry,
    'ca.crt',
  )
  if (!existsSync(file)) return undefined
  const extra = process.env.NODE_EXTRA_CA_CERTS
  return [
    ...rootCertificates,
    readFileSync(file, 'utf8'),
    ...(extra && existsSync(extra) ? [readFileSync(extra, 'utf8')] : []),
  ]
}

/** How the registry and its token server see this client (Docker sends docker/<version> …). */
export const USER_AGENT = 'multiarch-release'

const TLS_FAILURE =
  /^(ERR_TLS|ERR_SSL|EPROTO$|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_OSSL|HOSTNAME_MISMATCH)/
const NETWORK_FAILURE =
  /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR)/

/** A body read from a file as it is sent: opened again for each attempt (a redirect, a 401). */
export interface StreamedBody {
  readonly length: number
  readonly open: () => Readable
}

export interface Request {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST' | 'PATCH'
  readonly headers?: Record<string, string>
  readonly body?: Buffer | StreamedBody
  /** The job's cancellation: the request is destroyed at once. */
  readonly signal?: AbortSignal
}

/**
 * One HTTP exchange, following redirects (blob storage); the answer's body is left unread. A
 * certificate that cannot be verified is HttpUnavailable, a dropped connection transient.
 */
export function exchange(
  url: URL,
  request: Request,
  ca: string[] | undefined,
  redirects = 5,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(
      url,
      {
        method: request.method,
        headers: {
          'user-agent': USER_AGENT,
          ...request.headers,
          ...(request.body ? { 'content-length': String(request.body.length) } : {}),
        },
        ...(ca && url.protocol === 'https:' ? { ca } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        timeout: 60_000,
      },
      (response) => {
        const location = response.headers.location
        const status = response.statusCode ?? 0
        if (status >= 300 && status < 400 && location && redirects > 0) {
          response.resume()
          const next = new URL(location, url)
          // Credentials stay with the registry; blob storage gets a signed URL instead.
          const headers = { ...request.headers }
          if (next.host !== url.host) delete headers.authorization
          exchange(next, { ...request, headers }, ca, redirects - 1).then(resolve, reject)
          return
        }
        resolve(response)
      },
    )
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    )
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? ''
      if (TLS_FAILURE.test(code)) {
        reject(new HttpUnavailable(`${url.host}: ${code} ${error.message}`))
      } else if (NETWORK_FAILURE.test(code) || /socket hang up/.test(error.message)) {
        reject(new TransientHttpFailure(`${url.host}: ${code || error.message}`))
      } else {
        reject(error)
      }
    })
    const { body } = request
    if (body === undefined || Buffer.isBuffer(body)) req.end(body)
    else {
      const stream = body.open()
      stream.on('error', (error) => req.destroy(error))
      stream.pipe(req)
    }
  })
}

export async function readBody(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A WWW-Authenticate challenge: its scheme (lowercase) and parameters (names lowercase). */
export interface Challenge {
  readonly scheme: string
  readonly params: Readonly<Record<string, string>>
}

const PARAM = /([!#$%&'*+.^_`|~\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g

/** Parses the first challenge of a WWW-Authenticate header (RFC 9110: quoted values may hold commas). */
export function parseChallenge(header: string): Challenge | undefined {
  const scheme = /^\s*([!#$%&'*+.^_`|~\w-]+)/.exec(header)
  if (!scheme?.[1]) return undefined
  const params: Record<string, string> = {}
  for (const [, name = '', quoted, token] of header.slice(scheme[0].length).matchAll(PARAM)) {
    params[name.toLowerCase()] =
      quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? '')
  }
  return { scheme: scheme[1].toLowerCase(), params }
}

/** Who the token server is told it is talking to (OAuth2 client_id). */
const CLIENT_ID = 'multiarch-release'

/**
 * Requests to one registry with the authentication it asks for: a bearer token from its realm
 * (for Docker's basic credentials or, by OAuth2, for an identity token) or basic credentials.
 */
export class RegistrySession {
  private authorization: string | undefined
  private readonly ca: string[] | undefined
  /** Answers to challenges being fetched: requests refused at once share one token. */
  private readonly answering = new Map<string, Promise<void>>()

  constructor(
    private readonly registry: string,
    /** The scope asked for when a challenge names none, e.g. repository:acme/app:pull. */
    private readonly defaultScope: string,
    private readonly credentials: () => Promise<Credentials | undefined> = () =>
      dockerCredentials(registry),
    /** The job's cancellation: every request of the session is destroyed at once. */
    private readonly signal?: AbortSignal,
  ) {
    this.ca = registryCa(registry)
  }

  /**
   * Answers a 401's challenge once however many requests met it at the same time (blobs are
   * pushed several at once): they all wait for the same token.
   */
  private answer(header: string): Promise<void> {
    let pending = this.answering.get(header)
    if (pending === undefined) {
      pending = this.authenticate(header).finally(() => this.answering.delete(header))
      this.answering.set(header, pending)
    }
    return pending
  }

  private cancellable(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {}
  }

  /** Answers a 401's challenge: a bearer token from the realm, or basic credentials. */
  private async authenticate(header: string): Promise<void> {
    const credentials = await this.credentials()
    const challenge = parseChallenge(header)
    if (challenge?.scheme === 'basic') {
      if (!credentials) {
        throw new HttpUnauthorized(
          `${this.registry} asks for credentials and Docker has none for it`,
        )
      }
      if (credentials.kind !== 'basic') {
        throw new HttpUnavailable(`${this.registry} asks for a password; Docker holds a token`)
      }
      this.authorization = `Basic ${credentials.auth}`
      return
    }
    const realm = challenge?.params.realm
    if (challenge?.scheme !== 'bearer' || !realm) {
      throw new HttpUnavailable(`${this.registry} answered 401 without a usable challenge`)
    }
    const url = new URL(realm)
    const service = challenge.params.service
    const scope = challenge.params.scope ?? this.defaultScope
    const response =
      credentials?.kind === 'identity-token'
        ? await this.oauthToken(url, credentials.token, scope, service)
        : await this.basicToken(url, credentials, scope, service)
    const body = await readBody(response)
    const status = response.statusCode ?? 0
    if (status === 401 || status === 403) {
      throw new HttpUnauthorized(`${url.host} refused a token: ${status}`)
    }
    if (status >= 500 || status === 429) {
      throw new TransientHttpFailure(`getting a token from ${url.host} failed: ${status}`)
    }
    if (status !== 200) throw new StepFailure(`getting a token from ${url.host} failed: ${status}`)
    const token = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string }
    this.authorization = `Bearer ${token.token ?? token.access_token ?? ''}`
  }

  /** The token endpoint's GET, with Docker's basic credentials when there are any. */
  private basicToken(
    url: URL,
    credentials: Credentials | undefined,
    scope: string,
    service: string | undefined,
  ): Promise<IncomingMessage> {
    if (service) url.searchParams.set('service', service)
    url.searchParams.set('scope', scope)
    const headers: Record<string, string> =
      credentials?.kind === 'basic' ? { authorization: `Basic ${credentials.auth}` } : {}
    return exchange(url, { method: 'GET', headers, ...this.cancellable() }, this.ca)
  }

  /** The token endpoint's OAuth2 POST, trading an identity (refresh) token for an access token. */
  private oauthToken(
    url: URL,
    refreshToken: string,
    scope: string,
    service: string | undefined,
  ): Promise<IncomingMessage> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT_ID,
      scope,
      ...(service ? { service } : {}),
    })
    return exchange(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        ...this.cancellable(),
      },
      this.ca,
    )
  }

  /**
   * Sends a request, authenticating when the registry asks (again when a write needs a wider
   * scope or a token expired). 5xx and 429 become TransientHttpFailure; 401/403 after
   * authenticating, HttpUnauthorized. The body of any other answer is left for the caller.
   */
  async send(url: URL, request: Request, label: string): Promise<IncomingMessage> {
    let lastChallenge: string | undefined
    for (let attempt = 0; attempt < 4; attempt++) {
      const headers = { ...request.headers }
      const sent = this.authorization
      if (sent) headers.authorization = sent
      const response = await exchange(url, { ...request, headers, ...this.cancellable() }, this.ca)
      const status = response.statusCode ?? 0
      if (status === 401) {
        response.resume()
        // Another request got a new token while this one was out: try that token first.
        if (this.authorization !== sent) continue
        const challenge = response.headers['www-authenticate'] ?? ''
        // The same challenge after answering it: these credentials will not do.
        if (challenge === lastChallenge) break
        lastChallenge = challenge
        await this.answer(challenge)
        continue
      }
      if (status === 403) {
        response.resume()
        break
      }
      if (status >= 500 || status === 429) {
        const body = await readBody(response)
        throw new TransientHttpFailure(
          `${request.method} ${label}: ${status} ${body.toString('utf8').slice(0, 200).trim()}`,
        )
      }
      return response
    }
    throw new HttpUnauthorized(`${request.method} ${label}: the registry refused the credentials`)
  }
}
