import { createHash } from 'node:crypto'
import { StepFailure } from '../model/errors.js'
import type { ImageRepository } from '../model/image-ref.js'
import type { ImageConfigPlatform, ImageIndex } from '../model/manifest.js'
import { runCommand, tail, type CommandResult } from './process.js'
import { RegistryReader } from './registry-http.js'
import { writeOciArchive } from '../release/oci-archive.js'
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
          'log in before this step (docker/login-action) or set registry-username and registry-password, with a token that may push to this repository',
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
    await writeOciArchive(new RegistryReader(image), image, digest, tag, path)
  }

  async deleteTag(image: ImageRepository, tag: string): Promise<boolean> {
    // The OCI distribution spec allows deleting a tag; many registries answer 400/405 instead.
    const local = /^(localhost|127\.|\[::1\])/.test(image.registry)
    const url = `${local ? 'http' : 'https'}://${image.registry}/v2/${image.path}/manifests/${encodeURIComponent(tag)}`
    try {
      const response = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(10_000) })
      return response.status === 202 || response.status === 200
    } catch {
      return false
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
