import { splitReference, type ImageRepository } from '../../model/image-ref.js'
import type { ImageConfig, RemoteManifest } from '../../model/oci.js'
import type { Registry } from '../registry.js'
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
    sourceRefs: readonly string[],
    targetTagRef: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    return this.imagetools.assemble(sourceRefs, targetTagRef, annotations)
  }

  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void> {
    return this.http.archive(image, digest, tag, path)
  }

  deleteTag(image: ImageRepository, tag: string): Promise<boolean> {
    return this.http.deleteTag(image, tag)
  }

  async fileHead(ref: string, path: string): Promise<Buffer | undefined> {
    // Through imagetools no layer can be read: the engine reads the file instead.
    if (this.viaImagetools.has(splitReference(ref).image.registry)) return undefined
    return this.http.fileHead(ref, path)
  }
}
