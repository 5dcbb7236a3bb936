import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { StepFailure } from '../model/errors.js'
import type { ImageRepository } from '../model/image-ref.js'

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/** The credentials docker login (or docker/login-action) left for a registry, if any. */
async function dockerCredentials(registry: string): Promise<string | undefined> {
  const dir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      auths?: Record<string, { auth?: string }>
    }
    const host = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry
    return config.auths?.[host]?.auth ?? config.auths?.[`https://${host}`]?.auth
  } catch {
    return undefined
  }
}

/**
 * Reads manifests and blobs over the registry's HTTP API (distribution spec), with the token
 * or basic authentication the registry asks for and Docker's stored credentials.
 */
export class RegistryReader {
  private token: string | undefined

  constructor(private readonly image: ImageRepository) {}

  private base(): string {
    const local = /^(localhost|127\.|\[::1\])/.test(this.image.registry)
    const host = this.image.registry === 'docker.io' ? 'registry-1.docker.io' : this.image.registry
    return `${local ? 'http' : 'https'}://${host}/v2/${this.image.path}`
  }

  /** Answers a 401's challenge: a bearer token from the realm, or basic credentials. */
  private async authenticate(challenge: string): Promise<void> {
    const credentials = await dockerCredentials(this.image.registry)
    if (/^basic/i.test(challenge)) {
      if (!credentials)
        throw new StepFailure(
          `${this.image.registry} asks for credentials and Docker has none for it`,
          'log in first (docker/login-action)',
        )
      this.token = `Basic ${credentials}`
      return
    }
    const field = (name: string): string | undefined =>
      new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1]
    const realm = field('realm')
    if (!realm)
      throw new StepFailure(`${this.image.registry} answered 401 without a usable challenge`)
    const url = new URL(realm)
    const service = field('service')
    if (service) url.searchParams.set('service', service)
    url.searchParams.set('scope', field('scope') ?? `repository:${this.image.path}:pull`)
    const response = await fetch(
      url,
      credentials ? { headers: { authorization: `Basic ${credentials}` } } : {},
    )
    if (!response.ok)
      throw new StepFailure(`getting a pull token from ${url.host} failed: ${response.status}`)
    const body = (await response.json()) as { token?: string; access_token?: string }
    this.token = `Bearer ${body.token ?? body.access_token ?? ''}`
  }

  private async get(path: string, accept?: string): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {}
      if (accept) headers.accept = accept
      if (this.token) headers.authorization = this.token
      const response = await fetch(`${this.base()}${path}`, { headers })
      if (response.status === 401 && attempt === 0) {
        await this.authenticate(response.headers.get('www-authenticate') ?? '')
        continue
      }
      if (!response.ok)
        throw new StepFailure(`reading ${this.image.name}${path} failed: ${response.status}`)
      return response
    }
    throw new StepFailure(`reading ${this.image.name}${path} failed: not authorized`)
  }

  /** A manifest's exact bytes (their digest is the manifest's identity). */
  async manifest(digest: string): Promise<Buffer> {
    const response = await this.get(`/manifests/${digest}`, MANIFEST_TYPES)
    return Buffer.from(await response.arrayBuffer())
  }

  /** A blob as a stream, for writing large layers without holding them in memory. */
  async blob(digest: string): Promise<Readable> {
    const response = await this.get(`/blobs/${digest}`)
    if (!response.body) throw new StepFailure(`the registry sent no body for ${digest}`)
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  }
}
