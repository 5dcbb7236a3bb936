import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { StepFailure } from '../../model/errors.js'
import { TransientHttpFailure } from './errors.js'
import type { ImageRepository } from '../../model/image-ref.js'
import { MANIFEST_MEDIA_TYPES } from '../../model/oci.js'
import { apiHost, apiPath, isLoopbackRegistry } from './docker-config.js'
import { RegistrySession, readBody, type Request, type StreamedBody } from './http-transport.js'

export interface HttpAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ')

/**
 * One repository over the registry's HTTP API (the distribution spec): manifests by tag or
 * digest, blobs, tag deletion. One request where `docker buildx imagetools` starts a process.
 */
export class Repository {
  private readonly session: RegistrySession

  constructor(
    readonly image: ImageRepository,
    session?: RegistrySession,
    /** The job's cancellation, for the session made here. */
    signal?: AbortSignal,
  ) {
    this.session =
      session ??
      new RegistrySession(image.registry, `repository:${apiPath(image)}:pull`, undefined, signal)
  }

  private url(path: string): URL {
    const scheme = isLoopbackRegistry(this.image.registry) ? 'http' : 'https'
    return new URL(`${scheme}://${apiHost(this.image.registry)}/v2/${apiPath(this.image)}${path}`)
  }

  /** Sends a request (authenticating as the registry asks); the answer's body is the caller's. */
  send(path: string, request: Request): Promise<IncomingMessage> {
    return this.session.send(this.url(path), request, `${this.image.name}${path}`)
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
      headers: { accept: ACCEPT },
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
    const said = answer.body.toString('utf8').slice(0, 200)
    // Blobs just written that a registry does not see yet (eventually consistent storage, or
    // a concurrent push of the same blobs): asked again, it finds them.
    if (answer.status === 400 && /BLOB_UNKNOWN/.test(said))
      throw new TransientHttpFailure(`PUT ${this.image.name}:${reference}: 400 ${said.trim()}`)
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

  /** Whether the repository holds a blob already (then it is not sent again). */
  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.send(`/blobs/${digest}`, { method: 'HEAD' })
    response.resume()
    return response.statusCode === 200
  }

  /**
   * Uploads a blob in one request, streamed from where it lies: a POST opens the upload (and
   * gets the push scope), a PUT of the bytes with their digest completes it. With `from` (a
   * repository of the same registry holding it), the POST asks to mount it: no bytes are sent
   * when the registry does (201); otherwise it opened an upload as usual.
   */
  async pushBlob(digest: string, body: StreamedBody, from?: ImageRepository): Promise<void> {
    if (await this.hasBlob(digest)) return
    const mount =
      from?.registry === this.image.registry
        ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(apiPath(from))}`
        : ''
    const opened = await this.fetch(`/blobs/uploads/${mount}`, {
      method: 'POST',
      headers: { 'content-length': '0' },
    })
    if (mount !== '' && opened.status === 201) return
    const location = opened.headers.location
    if (opened.status !== 202 || location === undefined) {
      throw new StepFailure(
        `starting the upload of ${this.image.name}@${digest} failed: ${opened.status} ${opened.body.toString('utf8').slice(0, 200)}`,
      )
    }
    const url = new URL(location, this.url('/'))
    url.searchParams.set('digest', digest)
    const response = await this.session.send(
      url,
      { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body },
      `${this.image.name}@${digest}`,
    )
    const answer = await readBody(response)
    if (response.statusCode !== 201) {
      throw new StepFailure(
        `uploading ${this.image.name}@${digest} failed: ${response.statusCode ?? 0} ${answer.toString('utf8').slice(0, 200)}`,
      )
    }
  }

  /**
   * Opens an upload, which needs push access, and leaves it: nothing is stored, and the registry
   * discards an upload never completed (cancelling it would ask for the delete scope).
   */
  async probePush(): Promise<void> {
    const opened = await this.fetch('/blobs/uploads/', {
      method: 'POST',
      headers: { 'content-length': '0' },
    })
    if (opened.status !== 202) {
      throw new StepFailure(
        `starting an upload to ${this.image.name} failed: ${opened.status} ${opened.body.toString('utf8').slice(0, 200)}`,
      )
    }
  }

  /** Deletes a manifest reference (a tag); true when the registry did. */
  async deleteManifest(reference: string): Promise<boolean> {
    const answer = await this.fetch(`/manifests/${encodeURIComponent(reference)}`, {
      method: 'DELETE',
    })
    return answer.status === 202 || answer.status === 200
  }
}
