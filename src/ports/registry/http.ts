import pRetry from 'p-retry'
import { RegistryUnauthorized, StepFailure, Cancelled, cancellationOf } from '../../model/errors.js'
import { splitReference, type ImageRepository } from '../../model/image-ref.js'
import {
  INDEX_MEDIA_TYPES,
  asIndex,
  digestOf,
  manifestOf,
  registryImageConfig,
  type ImageConfig,
  type RemoteManifest,
} from '../../model/oci.js'
import { fileHeadFromLayers } from '../layer-files.js'
import type { Registry } from '../registry.js'
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.js'
import { Repository } from './distribution.js'
import { HttpUnauthorized, TransientHttpFailure } from './errors.js'
import { writeOciArchive } from './oci-layout.js'
import { assembleIndex, pushLayout } from './oci-push.js'
import { copyImage } from './oci-copy.js'

/** The manifest was not there yet although it was just written (expectPresent). */
class NotYetPresent extends Error {}

/** What HTTP does here: everything the port offers. */
export type HttpCapabilities = Required<Registry>

/**
 * The registry over its HTTP API: one request per read or tag write, where imagetools starts a
 * process each time (about 60 ms). Where HTTP cannot reach a registry the way Docker does, it
 * throws HttpUnavailable and leaves the choice of another way to its caller.
 */
export class HttpRegistry implements HttpCapabilities {
  private readonly repositories = new Map<string, Repository>()

  constructor(
    private readonly warn: (message: string) => void = () => undefined,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  private repository(image: ImageRepository): Repository {
    const key = `${image.registry}/${image.path}`
    let repository = this.repositories.get(key)
    if (!repository) {
      repository = new Repository(image, undefined, this.policy.signal)
      this.repositories.set(key, repository)
    }
    return repository
  }

  /** Runs an HTTP exchange with retries, turning refused credentials into the user's error. */
  private async attempt<T>(
    what: string,
    ref: string,
    image: ImageRepository,
    overHttp: (repository: Repository) => Promise<T>,
  ): Promise<T> {
    try {
      return await pRetry(() => overHttp(this.repository(image)), {
        retries: this.policy.retries,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        ...(this.policy.signal ? { signal: this.policy.signal } : {}),
        shouldRetry: ({ error }) =>
          error instanceof TransientHttpFailure || error instanceof NotYetPresent,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && error instanceof TransientHttpFailure)
            this.warn(`${what}: attempt ${attemptNumber} failed (${error.message}); retrying`)
        },
      })
    } catch (error) {
      const cancelled = cancellationOf(this.policy.signal, error)
      if (cancelled) throw new Cancelled(cancelled.signal, what)
      if (error instanceof HttpUnauthorized) throw new RegistryUnauthorized(ref, error.message)
      if (error instanceof TransientHttpFailure) {
        throw new StepFailure(`${what} failed: ${error.message}`)
      }
      throw error
    }
  }

  async manifest(
    ref: string,
    options: { expectPresent?: boolean } = {},
  ): Promise<RemoteManifest | undefined> {
    const { image, reference } = splitReference(ref)
    try {
      return await this.attempt(`reading ${ref}`, ref, image, async (repository) => {
        const found = await repository.getManifest(reference)
        if (!found && options.expectPresent) throw new NotYetPresent(ref)
        return found && manifestOf(found.body, found.contentType)
      })
    } catch (error) {
      if (error instanceof NotYetPresent) return undefined
      throw error
    }
  }

  /** The config of a single-platform manifest, read from the repository that holds it. */
  private async configOf(repository: Repository, manifest: RemoteManifest): Promise<ImageConfig> {
    const config = manifest.json.config as { digest?: unknown } | undefined
    if (typeof config?.digest !== 'string') {
      throw new StepFailure(`the manifest ${manifest.digest} names no image config`)
    }
    const bytes = await repository.blobBytes(config.digest)
    return registryImageConfig(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
  }

  async imageConfig(ref: string): Promise<ImageConfig> {
    const { image, reference } = splitReference(ref)
    return this.attempt(`reading the image config of ${ref}`, ref, image, async (repository) => {
      const found = await repository.getManifest(reference)
      if (!found) throw new StepFailure(`reading the image config of ${ref} failed: no manifest`)
      return this.configOf(repository, manifestOf(found.body, found.contentType))
    })
  }

  async indexConfigs(ref: string): Promise<Map<string, ImageConfig>> {
    const { image, reference } = splitReference(ref)
    return this.attempt(`reading the image configs of ${ref}`, ref, image, async (repository) => {
      const found = await repository.getManifest(reference)
      if (!found) throw new StepFailure(`reading the image configs of ${ref} failed: no manifest`)
      const index = manifestOf(found.body, found.contentType)
      if (!INDEX_MEDIA_TYPES.includes(index.mediaType)) {
        throw new StepFailure(`${ref} is not an index`)
      }
      const children = asIndex(index).manifests.filter(
        (d) =>
          d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
          d.platform?.os !== 'unknown',
      )
      const entries = await Promise.all(
        children.map(async (child): Promise<[string, ImageConfig]> => {
          const manifest = await repository.getManifest(child.digest)
          if (!manifest) throw new StepFailure(`${image.name}@${child.digest} does not resolve`)
          const { os = '', architecture = '', variant } = child.platform ?? {}
          return [
            [os, architecture, ...(variant ? [variant] : [])].join('/'),
            await this.configOf(repository, manifestOf(manifest.body, manifest.contentType)),
          ]
        }),
      )
      return new Map(entries)
    })
  }

  /** Copies within one repository only: another repository needs its blobs mounted. */
  async copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const source = splitReference(sourceDigestRef)
    const target = splitReference(targetTagRef)
    if (source.image.name !== target.image.name) {
      throw new Error(`${sourceDigestRef} and ${targetTagRef} are in different repositories`)
    }
    return this.attempt(
      `pointing ${targetTagRef} at ${sourceDigestRef}`,
      targetTagRef,
      target.image,
      async (repository) => {
        const found = await repository.getManifest(source.reference)
        if (!found) throw new StepFailure(`${sourceDigestRef} does not exist in the registry`)
        if (digestOf(found.body) !== source.reference) {
          throw new StepFailure(
            `the registry served ${digestOf(found.body)} for ${sourceDigestRef}; nothing was written`,
          )
        }
        const mediaType = manifestOf(found.body, found.contentType).mediaType || found.contentType
        await repository.putManifest(target.reference, found.body, mediaType)
      },
    )
  }

  async copyDigest(sourceDigestRef: string, target: ImageRepository): Promise<void> {
    const source = splitReference(sourceDigestRef)
    // Each blob is sent once: a retry asks the target which it holds already.
    return this.attempt(
      `copying ${sourceDigestRef} to ${target.name}`,
      `${target.name}@${source.reference}`,
      target,
      (repository) => copyImage(this.repository(source.image), repository, source.reference),
    )
  }

  async pushAccess(image: ImageRepository): Promise<true> {
    await this.attempt(`checking push access to ${image.name}`, image.name, image, (repository) =>
      repository.probePush(),
    )
    return true
  }

  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void> {
    return writeOciArchive(this.repository(image), image, digest, tag, path)
  }

  assemble(
    image: ImageRepository,
    sources: readonly string[],
    annotations: Readonly<Record<string, string>>,
  ): Promise<string> {
    return this.attempt(`assembling an index in ${image.name}`, image.name, image, (repository) =>
      assembleIndex(repository, sources, annotations),
    )
  }

  pushLayout(
    image: ImageRepository,
    layout: string,
    annotate?: Readonly<Record<string, string>>,
  ): Promise<string> {
    // Each blob is sent once: a retry asks the registry which it holds already.
    return this.attempt(`pushing the candidate to ${image.name}`, image.name, image, (repository) =>
      pushLayout(repository, layout, annotate),
    )
  }

  async fileHead(ref: string, path: string): Promise<Buffer | undefined> {
    const { image, reference } = splitReference(ref)
    const repository = this.repository(image)
    try {
      const found = await repository.getManifest(reference)
      if (!found) return undefined
      const layers = manifestOf(found.body, found.contentType).json.layers
      if (!Array.isArray(layers)) return undefined
      return await fileHeadFromLayers(
        (layers as { mediaType?: string; size?: number; digest?: string }[]).map((layer) => ({
          mediaType: layer.mediaType ?? '',
          size: layer.size ?? 0,
          open: () => repository.blob(layer.digest ?? ''),
        })),
        path,
      )
    } catch {
      // Any doubt goes to the engine, which reads the file from a container.
      return undefined
    }
  }
}
