import { RegistryUnauthorized, StepFailure } from '../../model/errors.js'
import {
  manifestOf,
  registryImageConfig,
  type ImageConfig,
  type RemoteManifest,
} from '../../model/oci.js'
import { dockerCli } from '../docker-cli.js'
import { tail, type CommandResult, type Program } from '../process.js'
import type { Registry } from '../registry.js'
import { DEFAULT_RETRY, TRANSIENT_FAILURE, retryCommand, type RetryPolicy } from '../retry.js'

const UNAUTHORIZED =
  /unauthorized|authentication required|authorization failed|no basic auth credentials|401 Unauthorized|403 Forbidden|denied:/i
const NOT_FOUND = /not found|manifest unknown|name unknown|404/i

/** What imagetools can do: it reads and writes manifests, never a single blob or a tag deletion. */
export type ImagetoolsCapabilities = Omit<
  Registry,
  'archive' | 'assemble' | 'pushLayout' | 'fileHead' | 'copyDigest' | 'pushAccess'
>

/** The registry through `docker buildx imagetools`, so Docker's credentials and CA settings apply. */
export class ImagetoolsRegistry implements ImagetoolsCapabilities {
  constructor(
    private readonly warn: (message: string) => void = () => undefined,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    private readonly docker: Program = dockerCli(),
  ) {}

  private imagetools(what: string, args: string[], alsoRetry?: RegExp): Promise<CommandResult> {
    return retryCommand(
      what,
      () => this.docker.run(['buildx', 'imagetools', ...args]),
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
        throw new RegistryUnauthorized(ref, tail(result.stderr, 2))
      }
      if (NOT_FOUND.test(result.stderr)) return undefined
      throw new StepFailure(`reading ${ref} from the registry failed: ${tail(result.stderr, 4)}`)
    }
    // imagetools prints the manifest's bytes followed by one newline of its own.
    const raw = result.stdout.endsWith('\n') ? result.stdout.slice(0, -1) : result.stdout
    return manifestOf(Buffer.from(raw))
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
    return registryImageConfig(JSON.parse(result.stdout) as Record<string, unknown>)
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
      Object.entries(byPlatform).map(([platform, raw]) => [platform, registryImageConfig(raw)]),
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
}
