import { createHash } from 'node:crypto'
import pRetry from 'p-retry'
import { StepFailure } from '../model/errors.js'
import { parseImageRepository, type ImageRepository } from '../model/image-ref.js'
import { INDEX_MEDIA_TYPES, type ImageConfigPlatform, type ImageIndex } from '../model/manifest.js'
import { runCommand, tail, type CommandResult } from './process.js'
import {
  HttpUnavailable,
  RegistryClient,
  RegistryUnauthorized,
  TransientHttpFailure,
} from './registry-http.js'
import { writeOciArchive } from '../release/oci-archive.js'
import { fileHeadFromLayers } from './layer-files.js'
import { DEFAULT_RETRY, TRANSIENT_FAILURE, retryCommand, type RetryPolicy } from './retry.js'

/** A manifest read back from the registry, with the digest of its exact bytes. */
export interface RemoteManifest {
  readonly digest: string
  readonly mediaType: string
  readonly raw: string
  readonly json: Record<string, unknown>
}

export interface ImageConfig extends ImageConfigPlatform {
  readonly entrypoint: readonly string[]
  readonly cmd: readonly string[]
  readonly env: readonly string[]
  readonly raw: Record<string, unknown>
}

/** The registry, as the release needs it: read manifests, copy a digest to tags. */
export interface Registry {
  /**
   * Reads the manifest at a tag or digest reference; undefined when there is none. With
   * expectPresent (just pushed), "unknown" is retried as the registry may not show it yet.
   */
  manifest(ref: string, options?: { expectPresent?: boolean }): Promise<RemoteManifest | undefined>
  /** Reads the image config of a single-platform manifest reference (name@digest). */
  imageConfig(ref: string): Promise<ImageConfig>
  /**
   * The image config of every platform of an index (name@digest), keyed by the platform as
   * imagetools prints it; it fails when any platform's manifest or config does not resolve.
   */
  indexConfigs(ref: string): Promise<Map<string, ImageConfig>>
  /** Points a tag at the manifest of a digest reference, keeping the digest. */
  copy(sourceDigestRef: string, targetTagRef: string): Promise<void>
  /** Makes one index of several pushed images (one per platform) under a tag, with index annotations. */
  assemble(
    sourceRefs: readonly string[],
    targetTagRef: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void>
  /** Writes the index at a digest, every platform and blob, as an OCI image layout tar. */
  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void>
  /** Removes a tag (not the manifest); false when the registry does not allow it. */
  deleteTag(image: ImageRepository, tag: string): Promise<boolean>
  /**
   * The first bytes of a file in a single-platform image (name@digest), read from its layers;
   * undefined when this way cannot tell for certain (then the engine is asked).
   */
  fileHead?(ref: string, path: string): Promise<Buffer | undefined>
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/**
 * An image config as the registry (config, os, architecture) or the engine (Config, Os,
 * Architecture) spells it.
 */
export function imageConfigOf(
  raw: Record<string, unknown>,
  configKey: string,
  osKey: string,
  architectureKey: string,
  variantKey: string,
): ImageConfig {
  const config = (raw[configKey] ?? {}) as Record<string, unknown>
  const variant = text(raw[variantKey])
  return {
    os: text(raw[osKey]),
    architecture: text(raw[architectureKey]),
    ...(variant !== '' ? { variant } : {}),
    entrypoint: strings(config.Entrypoint),
    cmd: strings(config.Cmd),
    env: strings(config.Env),
    raw,
  }
}

const CREDENTIALS_REMEDY =
  'log in before this step (docker/login-action) or set registry-username and registry-password, with a token that may push to this repository; then re-run the workflow: it reuses what was verified and promotes the rest'

const UNAUTHORIZED =
  /unauthorized|authentication required|authorization failed|no basic auth credentials|401 Unauthorized|403 Forbidden|denied:/i
const NOT_FOUND = /not found|manifest unknown|name unknown|404/i

/** The registry through `docker buildx imagetools`, so Docker's credentials and CA settings apply. */
export class ImagetoolsRegistry implements Registry {
  constructor(
    private readonly warn: (message: string) => void = () => undefined,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  private imagetools(what: string, args: string[], alsoRetry?: RegExp): Promise<CommandResult> {
    return retryCommand(
      what,
      () => runCommand('docker', ['buildx', 'imagetools', ...args]),
      this.warn,
      this.policy,
      (r) => TRANSIENT_FAILURE.test(r.stderr) || (alsoRetry?.test(r.stderr) ?? false),
    )
  }

  async manifest(
    ref: string,
    options: { expectPresent?: boolean } = {},
  ): Promise<RemoteManifest | undefined> {
    const result = await this.imagetools(
      `reading ${ref}`,
      ['inspect', '--raw', ref],
      options.expectPresent ? NOT_FOUND : undefined,
    )
    if (result.exitCode !== 0) {
      if (UNAUTHORIZED.test(result.stderr)) {
        throw new StepFailure(
          `the registry rejected the credentials for ${ref}: ${tail(result.stderr, 2)}`,
          CREDENTIALS_REMEDY,
        )
      }
      if (NOT_FOUND.test(result.stderr)) return undefined
      throw new StepFailure(`reading ${ref} from the registry failed: ${tail(result.stderr, 4)}`)
    }
    // imagetools prints the manifest's bytes followed by one newline of its own.
    const raw = result.stdout.endsWith('\n') ? result.stdout.slice(0, -1) : result.stdout
    const json = JSON.parse(raw) as Record<string, unknown>
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`
    return {
      digest,
      mediaType: typeof json.mediaType === 'string' ? json.mediaType : '',
      raw,
      json,
    }
  }

  async imageConfig(ref: string): Promise<ImageConfig> {
    const result = await this.imagetools(`reading the image config of ${ref}`, [
      'inspect',
      '--format',
      '{{json .Image}}',
      ref,
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(`reading the image config of ${ref} failed: ${tail(result.stderr, 4)}`)
    }
    const raw = JSON.parse(result.stdout) as Record<string, unknown>
    return imageConfigOf(raw, 'config', 'os', 'architecture', 'variant')
  }

  async indexConfigs(ref: string): Promise<Map<string, ImageConfig>> {
    const result = await this.imagetools(`reading the image configs of ${ref}`, [
      'inspect',
      '--format',
      '{{json .Image}}',
      ref,
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(`reading the image configs of ${ref} failed: ${tail(result.stderr, 4)}`)
    }
    const byPlatform = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>
    return new Map(
      Object.entries(byPlatform).map(([platform, raw]) => [
        platform,
        imageConfigOf(raw, 'config', 'os', 'architecture', 'variant'),
      ]),
    )
  }

  async copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const result = await this.imagetools(`pointing ${targetTagRef} at ${sourceDigestRef}`, [
      'create',
      '--tag',
      targetTagRef,
      sourceDigestRef,
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(
        `pointing ${targetTagRef} at ${sourceDigestRef} failed: ${tail(result.stderr, 4)}`,
      )
    }
  }

  async assemble(
    sourceRefs: readonly string[],
    targetTagRef: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    const annotationArgs = Object.entries(annotations).flatMap(([k, v]) => [
      '--annotation',
      `index:${k}=${v}`,
    ])
    const result = await this.imagetools(`assembling ${targetTagRef}`, [
      'create',
      '--tag',
      targetTagRef,
      ...annotationArgs,
      ...sourceRefs,
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(
        `assembling ${targetTagRef} from ${sourceRefs.join(', ')} failed: ${tail(result.stderr, 4)}`,
      )
    }
  }

  async archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void> {
    await writeOciArchive(new RegistryClient(image), image, digest, tag, path)
  }

  async deleteTag(image: ImageRepository, tag: string): Promise<boolean> {
    // The OCI distribution spec allows deleting a tag; many registries answer 400/405 instead.
    try {
      const answer = await new RegistryClient(image).fetch(
        `/manifests/${encodeURIComponent(tag)}`,
        { method: 'DELETE' },
      )
      return answer.status === 202 || answer.status === 200
    } catch {
      return false
    }
  }
}

/** A reference as the release writes them (name:tag or name@digest), split for the HTTP API. */
export function splitReference(ref: string): { image: ImageRepository; reference: string } {
  const at = ref.indexOf('@')
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  const [name, reference] =
    at >= 0
      ? [ref.slice(0, at), ref.slice(at + 1)]
      : colon > slash
        ? [ref.slice(0, colon), ref.slice(colon + 1)]
        : [ref, 'latest']
  const image = parseImageRepository(name)
  if (typeof image === 'string') throw new Error(`not an image reference: ${ref} (${image})`)
  return { image, reference }
}

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** The manifest was not there yet although it was just written (expectPresent). */
class NotYetPresent extends Error {}

function toRemote(body: Buffer, contentType: string): RemoteManifest {
  const raw = body.toString('utf8')
  const json = JSON.parse(raw) as Record<string, unknown>
  return {
    digest: sha256(body),
    mediaType:
      typeof json.mediaType === 'string' ? json.mediaType : (contentType.split(';')[0] ?? ''),
    raw,
    json,
  }
}

interface Descriptor {
  readonly digest: string
  readonly platform?: { os?: string; architecture?: string; variant?: string }
  readonly annotations?: Record<string, string>
}

/**
 * The registry over its HTTP API: one request per read or tag write, where imagetools starts a
 * process each time (about 60 ms). It falls back to imagetools, for good, for a registry it
 * cannot reach the way Docker does (credential helpers, insecure registries, a CA that only
 * the engine trusts), and uses imagetools for what needs more than copying bytes (assembling
 * an index from several images).
 */
export class HttpRegistry implements Registry {
  private readonly clients = new Map<string, RegistryClient>()
  private readonly viaDocker = new Set<string>()

  constructor(
    private readonly docker: ImagetoolsRegistry,
    private readonly warn: (message: string) => void = () => undefined,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    private readonly debug: (message: string) => void = () => undefined,
  ) {}

  private client(image: ImageRepository): RegistryClient {
    const key = `${image.registry}/${image.path}`
    let client = this.clients.get(key)
    if (!client) {
      client = new RegistryClient(image)
      this.clients.set(key, client)
    }
    return client
  }

  /** Runs an HTTP exchange with retries; falls back to imagetools when HTTP cannot be used. */
  private async attempt<T>(
    what: string,
    ref: string,
    image: ImageRepository,
    overHttp: (client: RegistryClient) => Promise<T>,
    viaDocker: () => Promise<T>,
  ): Promise<T> {
    if (this.viaDocker.has(image.registry)) return viaDocker()
    try {
      return await pRetry(() => overHttp(this.client(image)), {
        retries: this.policy.retries,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        shouldRetry: ({ error }) =>
          error instanceof TransientHttpFailure || error instanceof NotYetPresent,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && error instanceof TransientHttpFailure)
            this.warn(`${what}: attempt ${attemptNumber} failed (${error.message}); retrying`)
        },
      })
    } catch (error) {
      if (error instanceof HttpUnavailable) {
        this.viaDocker.add(image.registry)
        this.debug(`${image.registry}: using docker buildx imagetools (${error.message})`)
        return viaDocker()
      }
      if (error instanceof RegistryUnauthorized) {
        throw new StepFailure(
          `the registry rejected the credentials for ${ref}: ${error.message}`,
          CREDENTIALS_REMEDY,
        )
      }
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
      return await this.attempt(
        `reading ${ref}`,
        ref,
        image,
        async (client) => {
          const found = await client.getManifest(reference)
          if (!found && options.expectPresent) throw new NotYetPresent(ref)
          return found && toRemote(found.body, found.contentType)
        },
        () => this.docker.manifest(ref, options),
      )
    } catch (error) {
      if (error instanceof NotYetPresent) return undefined
      throw error
    }
  }

  /** The config of a single-platform manifest, read with the client that read the manifest. */
  private async configOf(client: RegistryClient, manifest: RemoteManifest): Promise<ImageConfig> {
    const config = manifest.json.config as { digest?: unknown } | undefined
    if (typeof config?.digest !== 'string') {
      throw new StepFailure(`the manifest ${manifest.digest} names no image config`)
    }
    const raw = JSON.parse((await client.blobBytes(config.digest)).toString('utf8')) as Record<
      string,
      unknown
    >
    return imageConfigOf(raw, 'config', 'os', 'architecture', 'variant')
  }

  async imageConfig(ref: string): Promise<ImageConfig> {
    const { image, reference } = splitReference(ref)
    return this.attempt(
      `reading the image config of ${ref}`,
      ref,
      image,
      async (client) => {
        const found = await client.getManifest(reference)
        if (!found) throw new StepFailure(`reading the image config of ${ref} failed: no manifest`)
        return this.configOf(client, toRemote(found.body, found.contentType))
      },
      () => this.docker.imageConfig(ref),
    )
  }

  async indexConfigs(ref: string): Promise<Map<string, ImageConfig>> {
    const { image, reference } = splitReference(ref)
    return this.attempt(
      `reading the image configs of ${ref}`,
      ref,
      image,
      async (client) => {
        const found = await client.getManifest(reference)
        if (!found) throw new StepFailure(`reading the image configs of ${ref} failed: no manifest`)
        const index = toRemote(found.body, found.contentType)
        if (!INDEX_MEDIA_TYPES.includes(index.mediaType)) {
          throw new StepFailure(`${ref} is not an index`)
        }
        const children = (asIndex(index).manifests as readonly Descriptor[]).filter(
          (d) =>
            d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
            d.platform?.os !== 'unknown',
        )
        const entries = await Promise.all(
          children.map(async (child): Promise<[string, ImageConfig]> => {
            const manifest = await client.getManifest(child.digest)
            if (!manifest) throw new StepFailure(`${image.name}@${child.digest} does not resolve`)
            const { os = '', architecture = '', variant } = child.platform ?? {}
            return [
              [os, architecture, ...(variant ? [variant] : [])].join('/'),
              await this.configOf(client, toRemote(manifest.body, manifest.contentType)),
            ]
          }),
        )
        return new Map(entries)
      },
      () => this.docker.indexConfigs(ref),
    )
  }

  async copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const source = splitReference(sourceDigestRef)
    const target = splitReference(targetTagRef)
    // Another repository needs its blobs mounted: imagetools does that.
    if (source.image.name !== target.image.name) {
      return this.docker.copy(sourceDigestRef, targetTagRef)
    }
    return this.attempt(
      `pointing ${targetTagRef} at ${sourceDigestRef}`,
      targetTagRef,
      target.image,
      async (client) => {
        const found = await client.getManifest(source.reference)
        if (!found) throw new StepFailure(`${sourceDigestRef} does not exist in the registry`)
        if (sha256(found.body) !== source.reference) {
          throw new StepFailure(
            `the registry served ${sha256(found.body)} for ${sourceDigestRef}; nothing was written`,
          )
        }
        const mediaType = toRemote(found.body, found.contentType).mediaType || found.contentType
        await client.putManifest(target.reference, found.body, mediaType)
      },
      () => this.docker.copy(sourceDigestRef, targetTagRef),
    )
  }

  assemble(
    sourceRefs: readonly string[],
    targetTagRef: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    return this.docker.assemble(sourceRefs, targetTagRef, annotations)
  }

  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void> {
    return this.docker.archive(image, digest, tag, path)
  }

  deleteTag(image: ImageRepository, tag: string): Promise<boolean> {
    return this.docker.deleteTag(image, tag)
  }

  async fileHead(ref: string, path: string): Promise<Buffer | undefined> {
    const { image, reference } = splitReference(ref)
    if (this.viaDocker.has(image.registry)) return undefined
    const client = this.client(image)
    try {
      const found = await client.getManifest(reference)
      if (!found) return undefined
      const layers = toRemote(found.body, found.contentType).json.layers
      if (!Array.isArray(layers)) return undefined
      return await fileHeadFromLayers(
        (layers as { mediaType?: string; size?: number; digest?: string }[]).map((layer) => ({
          mediaType: layer.mediaType ?? '',
          size: layer.size ?? 0,
          open: () => client.blob(layer.digest ?? ''),
        })),
        path,
      )
    } catch {
      // Any doubt goes to the engine, which reads the file from a container.
      return undefined
    }
  }
}

export function asIndex(manifest: RemoteManifest): ImageIndex {
  const manifests = manifest.json.manifests
  return {
    mediaType: manifest.mediaType,
    manifests: Array.isArray(manifests) ? (manifests as ImageIndex['manifests']) : [],
  }
}

/** The OCI annotations of an index (empty when it has none). */
export function annotationsOf(manifest: RemoteManifest): Record<string, string> {
  const annotations = manifest.json.annotations
  return annotations !== null && typeof annotations === 'object'
    ? (annotations as Record<string, string>)
    : {}
}
