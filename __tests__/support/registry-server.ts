import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'

/** How the in-process registry authenticates and what it serves. */
export interface RegistryServerOptions {
  readonly auth?: 'none' | 'basic' | 'bearer'
  /** user → password, for basic auth and the token endpoint's GET. */
  readonly users?: Readonly<Record<string, string>>
  /** Identity (refresh) tokens the token endpoint's POST accepts. */
  readonly refreshTokens?: readonly string[]
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string }
  /** Tags may be deleted (many registries refuse with 405). */
  readonly tagDeletion?: boolean
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
}

interface Stored {
  readonly body: Buffer
  readonly contentType: string
}

interface Answer {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string | Buffer
}

interface Repo {
  readonly manifests: Map<string, Stored>
  readonly blobs: Map<string, Buffer>
}

const SERVICE = 'in-process-registry'
const REPOSITORY_PATH = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/

export const digestOf = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/**
 * An in-process registry that speaks enough of the distribution API for the HTTP adapter's unit
 * tests: /v2/, manifests, blobs, tags list, with no auth, basic auth or bearer tokens from its
 * own /token endpoint (GET with basic credentials, or the OAuth2 POST with a refresh token).
 */
export class RegistryServer {
  readonly requests: RecordedRequest[] = []
  /** The User-Agent of every request, the token endpoint's included. */
  readonly userAgents: (string | undefined)[] = []
  readonly tokenRequests: {
    method: string
    params: Record<string, string>
    authorization: string | undefined
  }[] = []
  /** Statuses the token endpoint answers the next token requests with. */
  readonly tokenFaults: number[] = []
  /** Statuses to answer the next requests with, instead of serving them. */
  readonly faults: number[] = []
  /** Base URL blob GETs are redirected to (another host:port), when set. */
  blobsAt: string | undefined
  /** Manifest writes are answered with this status instead (a registry refusing the manifest). */
  writeStatus: number | undefined
  /** The token endpoint hands out tokens this registry then refuses (a clock skew, a bug). */
  refuseTokens = false
  private readonly repos = new Map<string, Repo>()
  private readonly tokens = new Map<string, Set<string>>()

  private constructor(
    private readonly server: Server,
    readonly options: RegistryServerOptions,
  ) {}

  static async start(options: RegistryServerOptions = {}): Promise<RegistryServer> {
    const holder: { registry?: RegistryServer } = {}
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void (holder.registry?.handle(req) ?? Promise.resolve<Answer>({ status: 503 }))
        .catch((error: unknown): Answer => ({ status: 500, body: String(error) }))
        .then((answer) => {
          res.writeHead(answer.status, answer.headers).end(answer.body)
        })
    }
    const server = options.tls ? createTlsServer(options.tls, handler) : createServer(handler)
    const registry = new RegistryServer(server, options)
    holder.registry = registry
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return registry
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** host:port, as an image reference names the registry. */
  get host(): string {
    return `127.0.0.1:${this.port}`
  }

  private get scheme(): string {
    return this.options.tls ? 'https' : 'http'
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve()
      })
    })
  }

  private uploads = 0

  private repo(name: string): Repo {
    let repo = this.repos.get(name)
    if (!repo) {
      repo = { manifests: new Map(), blobs: new Map() }
      this.repos.set(name, repo)
    }
    return repo
  }

  /** Stores a blob; its digest. */
  putBlob(name: string, bytes: Buffer): string {
    const digest = digestOf(bytes)
    this.repo(name).blobs.set(digest, bytes)
    return digest
  }

  /**
   * Stores a manifest under its digest and, when given, a tag (or a digest that is not its own,
   * to serve the wrong bytes for it); its digest.
   */
  putManifest(name: string, manifest: object | Buffer, tag?: string): string {
    const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest))
    const mediaType = (JSON.parse(body.toString()) as { mediaType?: string }).mediaType ?? ''
    const digest = digestOf(body)
    const stored = { body, contentType: mediaType }
    this.repo(name).manifests.set(digest, stored)
    if (tag !== undefined) this.repo(name).manifests.set(tag, stored)
    return digest
  }

  /** The digest a tag points at, or undefined. */
  tagged(name: string, tag: string): string | undefined {
    const stored = this.repos.get(name)?.manifests.get(tag)
    return stored && digestOf(stored.body)
  }

  deleteBlob(name: string, digest: string): void {
    this.repos.get(name)?.blobs.delete(digest)
  }

  blob(name: string, digest: string): Buffer | undefined {
    return this.repos.get(name)?.blobs.get(digest)
  }

  /** Every token handed out so far stops working. */
  expireTokens(): void {
    this.tokens.clear()
  }

  /** One answer of the registry. */
  private async handle(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', `${this.scheme}://${this.host}`)
    const body = await readAll(req)
    this.userAgents.push(req.headers['user-agent'])
    if (url.pathname === '/token') return this.token(req, url, body)
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
    })
    const fault = this.faults.shift()
    if (fault !== undefined) {
      return { status: fault, body: `{"errors":[{"code":"FAULT","message":"injected ${fault}"}]}` }
    }
    // Blob storage on this same host (a redirect that keeps the registry's credentials).
    const stored = /^\/storage\/(.+)\/(sha256:[0-9a-f]+)$/.exec(url.pathname)
    if (stored) {
      const blob = this.blob(stored[1] ?? '', stored[2] ?? '')
      return blob ? { status: 200, body: blob } : { status: 404 }
    }
    const match = REPOSITORY_PATH.exec(url.pathname)
    const name = match?.[1] ?? ''
    const write = req.method === 'PUT' || req.method === 'DELETE' || req.method === 'POST'
    const refusal = this.refusal(req, name, write)
    if (refusal) return refusal
    if (url.pathname === '/v2/') return { status: 200, body: '{}' }
    if (!match) return { status: 404 }
    const [, , kind, reference = ''] = match
    const repo = this.repo(name)
    if (kind === 'tags') {
      const tags = [...repo.manifests.keys()].filter((k) => !k.startsWith('sha256:'))
      return { status: 200, body: JSON.stringify({ name, tags }) }
    }
    // Uploads (the distribution spec's monolithic upload): POST for a location, PUT the bytes.
    if (kind === 'blobs' && reference.startsWith('uploads/')) {
      if (req.method === 'POST') {
        this.uploads++
        return {
          status: 202,
          headers: { location: `/v2/${name}/blobs/uploads/${this.uploads}?_state=x` },
        }
      }
      const expected = url.searchParams.get('digest') ?? ''
      if (req.method !== 'PUT' || digestOf(body) !== expected)
        return { status: 400, body: '{"errors":[{"code":"DIGEST_INVALID"}]}' }
      repo.blobs.set(expected, body)
      return { status: 201, headers: { 'docker-content-digest': expected } }
    }
    if (kind === 'blobs') {
      const blob = repo.blobs.get(reference)
      if (!blob) return { status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN"}]}' }
      if (this.blobsAt) {
        return { status: 307, headers: { location: `${this.blobsAt}/${name}/${reference}` } }
      }
      return { status: 200, ...(req.method === 'HEAD' ? {} : { body: blob }) }
    }
    if (req.method === 'PUT') {
      if (this.writeStatus !== undefined) {
        return { status: this.writeStatus, body: '{"errors":[{"code":"MANIFEST_INVALID"}]}' }
      }
      const tag = reference.startsWith('sha256:') ? undefined : reference
      const digest = this.putManifest(name, body, tag)
      return { status: 201, headers: { 'docker-content-digest': digest } }
    }
    if (req.method === 'DELETE') {
      if (!this.options.tagDeletion) return { status: 405 }
      return { status: repo.manifests.delete(reference) ? 202 : 404 }
    }
    const manifest = repo.manifests.get(reference)
    if (!manifest) return { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}' }
    return {
      status: 200,
      headers: {
        'content-type': manifest.contentType,
        'docker-content-digest': digestOf(manifest.body),
      },
      ...(req.method === 'HEAD' ? {} : { body: manifest.body }),
    }
  }

  /** The 401 (with its challenge) when the request lacks what the auth mode asks; else undefined. */
  private refusal(req: IncomingMessage, name: string, write: boolean): Answer | undefined {
    const auth = this.options.auth ?? 'none'
    const header = req.headers.authorization ?? ''
    if (auth === 'none') return undefined
    if (auth === 'basic') {
      if (this.basicUser(header) !== undefined) return undefined
      return { status: 401, headers: { 'www-authenticate': `Basic realm="${SERVICE}"` } }
    }
    const granted = this.tokens.get(header.replace(/^Bearer /, ''))
    if (granted && (name === '' || granted.has(`${name}:${write ? 'push' : 'pull'}`))) {
      return undefined
    }
    const challenge = [
      `Bearer realm="${this.scheme}://${this.host}/token"`,
      `service="${SERVICE}"`,
      ...(name === '' ? [] : [`scope="repository:${name}:${write ? 'pull,push' : 'pull'}"`]),
    ].join(',')
    return { status: 401, headers: { 'www-authenticate': challenge } }
  }

  private basicUser(header: string): string | undefined {
    const [user = '', password] = Buffer.from(header.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':')
    return /^Basic /.test(header) && this.options.users?.[user] === password ? user : undefined
  }

  /** The token endpoint: GET with basic credentials (or none), or the OAuth2 POST. */
  private token(req: IncomingMessage, url: URL, body: Buffer): Answer {
    const params =
      req.method === 'POST'
        ? Object.fromEntries(new URLSearchParams(body.toString()))
        : Object.fromEntries(url.searchParams)
    const header = req.headers.authorization ?? ''
    this.tokenRequests.push({
      method: req.method ?? '',
      params,
      authorization: header || undefined,
    })
    const fault = this.tokenFaults.shift()
    if (fault !== undefined) return { status: fault }
    const oauth = req.method === 'POST'
    const known = oauth
      ? params.grant_type === 'refresh_token' &&
        (this.options.refreshTokens ?? []).includes(params.refresh_token ?? '')
      : header === '' || this.basicUser(header) !== undefined
    if (!known) return { status: 401 }
    const grants = new Set<string>()
    // Each scope is repository:<name>:<actions>, the actions comma-separated.
    for (const scope of (params.scope ?? '').split(' ')) {
      const [, name = '', actions = ''] = /^repository:(.+):([^:]+)$/.exec(scope) ?? []
      // Anonymous tokens may only pull.
      for (const action of actions.split(','))
        if (action === 'pull' || header !== '' || oauth) grants.add(`${name}:${action}`)
    }
    const token = randomBytes(12).toString('hex')
    if (!this.refuseTokens) this.tokens.set(token, grants)
    return { status: 200, body: JSON.stringify({ [oauth ? 'access_token' : 'token']: token }) }
  }
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Blob storage on another host:port that a registry redirects blob reads to. */
export async function startBlobStore(
  registry: RegistryServer,
): Promise<{ url: string; authorizations: (string | undefined)[]; close: () => Promise<void> }> {
  const authorizations: (string | undefined)[] = []
  const server = createServer((req, res) => {
    authorizations.push(req.headers.authorization)
    const [, name = '', digest = ''] = /^\/(.+)\/(sha256:[0-9a-f]+)$/.exec(req.url ?? '') ?? []
    const blob = registry.blob(name, digest)
    res.writeHead(blob ? 200 : 404).end(blob)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => {
        server.close(() => {
          resolve()
        })
      })
    },
  }
}

/** A test CA and a certificate for 127.0.0.1 it signed, made with openssl in `dir`. */
export function testCertificates(dir: string): { ca: string; key: string; cert: string } {
  mkdirSync(dir, { recursive: true })
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  }
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  )
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  )
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  )
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') }
}

/** A gzipped layer holding one file. */
async function layerWith(path: string, content: Buffer): Promise<Buffer> {
  const tar = pack()
  tar.entry({ name: path.replace(/^\//, ''), mode: 0o755 }, content)
  tar.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of tar) chunks.push(chunk as Buffer)
  return gzipSync(Buffer.concat(chunks))
}

export interface SeededImage {
  readonly index: string
  /** The platform manifests' digests, by architecture. */
  readonly platforms: Readonly<Record<string, string>>
  readonly attestation: string
}

/**
 * Pushes an index of two platforms (amd64, arm64) and one attestation manifest, as buildx does;
 * each platform's layer holds /bin/app whose content names its architecture.
 */
export async function seedIndex(
  registry: RegistryServer,
  name: string,
  tag: string,
  annotations: Record<string, string> = {},
): Promise<SeededImage> {
  const OCI = 'application/vnd.oci.image'
  const descriptor = (mediaType: string, bytes: Buffer, digest: string): object => ({
    mediaType,
    digest,
    size: bytes.length,
  })
  const platforms: Record<string, string> = {}
  const entries: object[] = []
  for (const architecture of ['amd64', 'arm64']) {
    const config = Buffer.from(
      JSON.stringify({
        os: 'linux',
        architecture,
        config: { Entrypoint: ['/bin/app'], Cmd: ['serve'], Env: ['PATH=/bin'] },
      }),
    )
    const layer = await layerWith('/bin/app', Buffer.from(`binary for ${architecture}\n`))
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: `${OCI}.manifest.v1+json`,
        config: descriptor(`${OCI}.config.v1+json`, config, registry.putBlob(name, config)),
        layers: [descriptor(`${OCI}.layer.v1.tar+gzip`, layer, registry.putBlob(name, layer))],
      }),
    )
    const digest = registry.putManifest(name, manifest)
    platforms[architecture] = digest
    entries.push({
      ...descriptor(`${OCI}.manifest.v1+json`, manifest, digest),
      platform: { os: 'linux', architecture },
    })
  }
  const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}')
  const attestationConfig = Buffer.from('{}')
  const attestationManifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: `${OCI}.manifest.v1+json`,
      config: descriptor(
        `${OCI}.config.v1+json`,
        attestationConfig,
        registry.putBlob(name, attestationConfig),
      ),
      layers: [
        descriptor('application/vnd.in-toto+json', statement, registry.putBlob(name, statement)),
      ],
    }),
  )
  const attestation = registry.putManifest(name, attestationManifest)
  entries.push({
    ...descriptor(`${OCI}.manifest.v1+json`, attestationManifest, attestation),
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': platforms.amd64,
    },
  })
  const index = registry.putManifest(
    name,
    { schemaVersion: 2, mediaType: `${OCI}.index.v1+json`, manifests: entries, annotations },
    tag,
  )
  return { index, platforms, attestation }
}
