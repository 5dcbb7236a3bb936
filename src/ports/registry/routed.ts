import { splitReference, type ImageRepository } from '../../model/image-ref.js'
import type { ImageConfig, RemoteManifest } from '../../model/oci.js'
import type { Registry } from '../registry.js'
import { StepFailure } from '../../model/errors.js'
import { HttpUnavailable } from './errors.js'
import type { HttpCapabilities } from './http.js'
import type { ImagetoolsCapabilities } from './imagetools.js'

/**
 * The Registry port: each registry over HTTP until HTTP cannot reach it the way Docker does (a
 * CA only the engine trusts, an insecure registry, a credential helper that fails); from then on, for good, through `docker buildx imagetools`. Imagetools also does what needs
 * more than copying bytes within one repository (an index of several images, a copy into
 * another repository); HTTP what imagetools cannot (blobs, tag deletion).
 */
export class RoutedRegistry implements Registry {
  private readonly viaImagetools = new Set<string>()

  constructor(
    private readonly http: HttpCapabilities,
    private readonly imagetools: ImagetoolsCapabilities,
    private readonly debug: (message: string) => void = () => undefined,
  ) {}

  private async route<T>(
    registry: string,
    overHttp: () => Promise<T>,
    viaImagetools: () => Promise<T>,
  ): Promise<T> {
    if (this.viaImagetools.has(registry)) return viaImagetools()
    try {
      return await overHttp()
    } catch (error) {
      if (!(error instanceof HttpUnavailable)) throw error
      this.viaImagetools.add(registry)
      this.debug(`${registry}: using docker buildx imagetools (${error.message})`)
      return viaImagetools()
    }
  }

  manifest(
    ref: string,
    options: { expectPresent?: boolean } = {},
  ): Promise<RemoteManifest | undefined> {
    return this.route(
      splitReference(ref).image.registry,
      () => this.http.manifest(ref, options),
      () => this.imagetools.manifest(ref, options),
    )
  }

  imageConfig(ref: string): Promise<ImageConfig> {
    return this.route(
      splitReference(ref).image.registry,
      () => this.http.imageConfig(ref),
      () => this.imagetools.imageConfig(ref),
    )
  }

  indexConfigs(ref: string): Promise<Map<string, ImageConfig>> {
    return this.route(
      splitReference(ref).image.registry,
      () => this.http.indexConfigs(ref),
      () => this.imagetools.indexConfigs(ref),
    )
  }

  async copy(sourceDigestRef: string, targetTagRef: string): Promise<void> {
    const source = splitReference(sourceDigestRef)
    const target = splitReference(targetTagRef)
    if (source.image.name !== target.image.name) {
      return this.imagetools.copy(sourceDigestRef, targetTagRef)
    }
    return this.route(
      target.image.registry,
      () => this.http.copy(sourceDigestRef, targetTagRef),
      () => this.imagetools.copy(sourceDigestRef, targetTagRef),
    )
  }

  assemble(
    image: ImageRepository,
    sources: readonly string[],
    annotations: Readonly<Record<string, string>>,
  ): Promise<string> {
    return this.overHttpOnly(image, () => this.http.assemble(image, sources, annotations))
  }

  pushLayout(
    image: ImageRepository,
    layout: string,
    annotate?: Readonly<Record<string, string>>,
  ): Promise<string> {
    return this.overHttpOnly(image, () => this.http.pushLayout(image, layout, annotate))
  }

  copyDigest(sourceDigestRef: string, target: ImageRepository): Promise<void> {
    const source = splitReference(sourceDigestRef).image
    if (this.viaImagetools.has(source.registry))
      throw new StepFailure(
        `${source.registry} is reached through docker buildx imagetools only, which cannot copy ${sourceDigestRef} to ${target.name} without a tag`,
        "give the runner the registry's CA in /etc/docker/certs.d/<host>/ca.crt, so that its HTTP API can be used",
      )
    return this.overHttpOnly(target, () => this.http.copyDigest(sourceDigestRef, target))
  }

  pushAccess(image: ImageRepository): Promise<true | undefined> {
    return this.route(
      image.registry,
      () => this.http.pushAccess(image),
      // imagetools writes only tags: nothing can be asked without writing one.
      () => Promise.resolve(undefined),
    )
  }

  /** What only the HTTP API can do (write by digest, untagged): a registry it cannot reach fails. */
  private async overHttpOnly<T>(image: ImageRepository, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (error) {
      if (!(error instanceof HttpUnavailable)) throw error
      throw new StepFailure(
        `${image.registry} cannot be written to over its HTTP API from here (${error.message}), and an untagged candidate can be written no other way`,
        "build with a BuildKit builder, which pushes by digest itself (docker/setup-buildx-action creates one), or give the runner the registry's CA in /etc/docker/certs.d/<host>/ca.crt",
      )
    }
  }

  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void> {
    return this.http.archive(image, digest, tag, path)
  }

  async fileHead(ref: string, path: string): Promise<Buffer | undefined> {
    // Through imagetools no layer can be read: the engine reads the file instead.
    if (this.viaImagetools.has(splitReference(ref).image.registry)) return undefined
    return this.http.fileHead(ref, path)
  }
}
