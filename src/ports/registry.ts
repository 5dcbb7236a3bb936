import { createHash } from 'node:crypto'
import { StepFailure } from '../model/errors.js'
import type { ImageConfigPlatform, ImageIndex } from '../model/manifest.js'
import { runCommand, tail } from './process.js'

/** A manifest read back from the registry, with the digest of its exact bytes. */
export interface RemoteManifest {
  readonly digest: string
  readonly mediaType: string
  readonly raw: string
  readonly json: Record<string, unknown>
}

/** The registry, as the release needs it: read manifests, copy a digest to tags. */
export interface Registry {
  /** Reads the manifest at a tag or digest reference; undefined when there is none. */
  manifest(ref: string): Promise<RemoteManifest | undefined>
  /** Reads the image config of a single-platform manifest reference (name@digest). */
  imageConfig(ref: string): Promise<ImageConfigPlatform & { raw: Record<string, unknown> }>
  /** Points a tag at the manifest of a digest reference, keeping the digest. */
  copy(sourceDigestRef: string, targetTagRef: string): Promise<void>
}

const NOT_FOUND = /not found|manifest unknown|name unknown|404/i

/** The registry through `docker buildx imagetools`, so Docker's credentials and CA settings apply. */
export class ImagetoolsRegistry implements Registry {
  async manifest(ref: string): Promise<RemoteManifest | undefined> {
    const result = await runCommand('docker', ['buildx', 'imagetools', 'inspect', '--raw', ref])
    if (result.exitCode !== 0) {
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

  async imageConfig(ref: string): Promise<ImageConfigPlatform & { raw: Record<string, unknown> }> {
    const result = await runCommand('docker', [
      'buildx',
      'imagetools',
      'inspect',
      '--format',
      '{{json .Image}}',
      ref,
    ])
    if (result.exitCode !== 0) {
      throw new StepFailure(`reading the image config of ${ref} failed: ${tail(result.stderr, 4)}`)
    }
    const raw = JSON.parse(result.stdout) as Record<string, unknown>
    return {
      os: typeof raw.os === 'string' ? raw.os : '',
      architecture: typeof raw.architecture === 'string' ? raw.architecture : '',
      ...(typeof raw.variant === 'string' ? { variant: raw.variant } : {}),
      raw,
    }
  }

  async copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const result = await runCommand('docker', [
      'buildx',
      'imagetools',
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
}

export function asIndex(manifest: RemoteManifest): ImageIndex {
  const manifests = manifest.json.manifests
  return {
    mediaType: manifest.mediaType,
    manifests: Array.isArray(manifests) ? (manifests as ImageIndex['manifests']) : [],
  }
}
