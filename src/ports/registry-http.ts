import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { rootCertificates } from 'node:tls'
import { StepFailure } from '../model/errors.js'
import type { ImageRepository } from '../model/image-ref.js'

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/**
 * This registry cannot be spoken to over plain HTTP from here the way Docker speaks to it (a
 * credential helper holds the password, a CA Docker does not share, an insecure registry):
 * the caller falls back to Docker's own client.
 */
export class HttpUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HttpUnavailable'
  }
}

/** An answer the registry gave: worth another try (5xx, 429) or a dropped connection. */
export class TransientHttpFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TransientHttpFailure'
  }
}

/** The credentials the registry refused (401 or 403 after authenticating). */
export class RegistryUnauthorized extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RegistryUnauthorized'
  }
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** Where Docker keeps its client configuration (docker login, docker/login-action). */
function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
}

/** The docker config.json keys a registry's credentials may be stored under. */
function configKeys(registry: string): string[] {
  return registry === 'docker.io'
    ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
    : [registry, `https://${registry}`, `http://${registry}`]
}

/**
 * The basic credentials (base64 user:password) Docker stored for a registry; undefined when
 * there are none, and HttpUnavailable when a credential helper holds them.
 */
async function dockerCredentials(registry: string): Promise<string | undefined> {
  let config: DockerConfig
  try {
    config = JSON.parse(
      await readFile(join(dockerConfigDir(), 'config.json'), 'utf8'),
    ) as DockerConfig
  } catch {
    return undefined
  }
  const keys = configKeys(registry)
  for (const key of keys) {
    const entry = config.auths?.[key]
    if (entry?.auth) return entry.auth
    if (entry?.identitytoken) throw new HttpUnavailable(`${registry}: an identity token is stored`)
  }
  if (keys.some((key) => config.credHelpers?.[key]) || config.credsStore) {
    throw new HttpUnavailable(`${registry}: a credential helper holds the credentials`)
  }
  return undefined
}

/** Docker's own trust for a registry: /etc/docker/certs.d/<host>/ca.crt, as the engine reads it. */
function registryCa(registry: string): string[] | undefined {
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

/** Loopback registries speak plain HTTP, as Docker and buildx assume; everything else HTTPS. */
export function isLoopbackRegistry(registry: string): boolean {
  return /^(localhost|127\.|\[::1\])/.test(registry)
}

const TLS_FAILURE =
  /^(ERR_TLS|ERR_SSL|EPROTO$|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_OSSL|HOSTNAME_MISMATCH)/
const NETWORK_FAILURE =
  /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR)/

interface Request {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'DELETE'
  readonly headers?: Record<string, string>
  readonly body?: Buffer
}

/** One HTTP exchange, following redirects (blob storage); the answer's body is left unread. */
function exchange(
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
          ...request.headers,
          ...(request.body ? { 'content-length': String(request.body.length) } : {}),
        },
        ...(ca && url.protocol === 'https:' ? { ca } : {}),
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
    req.end(request.body)
  })
}

async function readBody(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export interface HttpAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/**
 * One repository over the registry's HTTP API (the distribution spec), with the bearer token
 * or basic authentication the registry asks for and the credentials Docker stored: one
 * request where `docker buildx imagetools` starts a process.
 */
export class RegistryClient {
  private authorization: string | undefined
  private readonly ca: string[] | undefined

  constructor(readonly image: ImageRepository) {
    this.ca = registryCa(image.registry)
  }

  private url(path: string): URL {
    const host = this.image.registry === 'docker.io' ? 'registry-1.docker.io' : this.image.registry
    const scheme = isLoopbackRegistry(this.image.registry) ? 'http' : 'https'
    return new URL(`${scheme}://${host}/v2/${this.image.path}${path}`)
  }

  /** Answers a 401's challenge: a bearer token from the realm, or basic credentials. */
  private async authenticate(challenge: string): Promise<void> {
    const credentials = await dockerCredentials(this.image.registry)
    if (/^basic/i.test(challenge)) {
      if (!credentials) {
        throw new RegistryUnauthorized(
          `${this.image.registry} asks for credentials and Docker has none for it`,
        )
      }
      this.authorization = `Basic ${credentials}`
      return
    }
    const field = (name: string): string | undefined =>
      new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1]
    const realm = field('realm')
    if (!/^bearer/i.test(challenge) || !realm) {
      throw new HttpUnavailable(`${this.image.registry} answered 401 without a usable challenge`)
    }
    const url = new URL(realm)
    const service = field('service')
    if (service) url.searchParams.set('service', service)
    url.searchParams.set('scope', field('scope') ?? `repository:${this.image.path}:pull`)
    const response = await exchange(
      url,
      { method: 'GET', headers: credentials ? { authorization: `Basic ${credentials}` } : {} },
      this.ca,
    )
    const body = await readBody(response)
    const status = response.statusCode ?? 0
    if (status === 401 || status === 403) {
      throw new RegistryUnauthorized(`${url.host} refused a token: ${status}`)
    }
    if (status >= 500 || status === 429) {
      throw new TransientHttpFailure(`getting a token from ${url.host} failed: ${status}`)
    }
    if (status !== 200) throw new StepFailure(`getting a token from ${url.host} failed: ${status}`)
    const token = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string }
    this.authorization = `Bearer ${token.token ?? token.access_token ?? ''}`
  }

  /**
   * Sends a request, authenticating when the registry asks (again when a write needs a wider
   * token scope). 5xx and 429 become TransientHttpFailure; 401/403 after authenticating,
   * RegistryUnauthorized. The body of a successful answer is left for the caller.
   */
  async send(path: string, request: Request): Promise<IncomingMessage> {
    let lastChallenge: string | undefined
    for (let attempt = 0; attempt < 3; attempt++) {
      const headers = { ...request.headers }
      if (this.authorization) headers.authorization = this.authorization
      const response = await exchange(this.url(path), { ...request, headers }, this.ca)
      const status = response.statusCode ?? 0
      if (status === 401) {
        response.resume()
        const challenge = response.headers['www-authenticate'] ?? ''
        if (challenge === lastChallenge) break
        lastChallenge = challenge
        await this.authenticate(challenge)
        continue
      }
      if (status === 403) {
        response.resume()
        break
      }
      if (status >= 500 || status === 429) {
        const body = await readBody(response)
        throw new TransientHttpFailure(
          `${request.method} ${this.image.name}${path}: ${status} ${body.toString('utf8').slice(0, 200).trim()}`,
        )
      }
      return response
    }
    throw new RegistryUnauthorized(
      `${request.method} ${this.image.name}${path}: the registry refused the credentials`,
    )
  }

  /** Sends a request and reads the whole answer. */
  async fetch(path: string, request: Request): Promise<HttpAnswer> {
    const response = await this.send(path, request)
    return {
      status: response.statusCode ?? 0,
      headers: response.headers,
      body: await readBody(response),
    }
  }

  /** A manifest's exact bytes and media type (their digest is the manifest's identity), or undefined on 404. */
  async getManifest(reference: string): Promise<{ body: Buffer; contentType: string } | undefined> {
    const answer = await this.fetch(`/manifests/${reference}`, {
      method: 'GET',
      headers: { accept: MANIFEST_TYPES },
    })
    if (answer.status === 404) return undefined
    if (answer.status !== 200) {
      throw new StepFailure(
        `reading ${this.image.name}:${reference} failed: ${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`,
      )
    }
    return { body: answer.body, contentType: answer.headers['content-type'] ?? '' }
  }

  /** Stores a manifest under a tag (or its digest), byte for byte. */
  async putManifest(reference: string, body: Buffer, contentType: string): Promise<void> {
    const answer = await this.fetch(`/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body,
    })
    if (answer.status !== 201 && answer.status !== 200) {
      throw new StepFailure(
        `writing ${this.image.name}:${reference} failed: ${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`,
      )
    }
  }

  /** A manifest's exact bytes, which must exist (for the OCI archive). */
  async manifest(digest: string): Promise<Buffer> {
    const found = await this.getManifest(digest)
    if (!found) throw new StepFailure(`reading ${this.image.name}@${digest} failed: 404`)
    return found.body
  }

  /** A small blob (an image config) read whole. */
  async blobBytes(digest: string): Promise<Buffer> {
    const answer = await this.fetch(`/blobs/${digest}`, { method: 'GET' })
    if (answer.status !== 200)
      throw new StepFailure(
        `reading the blob ${this.image.name}@${digest} failed: ${answer.status}`,
      )
    return answer.body
  }

  /** A blob as a stream, for writing large layers without holding them in memory. */
  async blob(digest: string): Promise<Readable> {
    const response = await this.send(`/blobs/${digest}`, { method: 'GET' })
    if (response.statusCode !== 200) {
      response.resume()
      throw new StepFailure(
        `reading the blob ${this.image.name}@${digest} failed: ${response.statusCode ?? 0}`,
      )
    }
    return response
  }
}
