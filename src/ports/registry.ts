import type { ImageRepository } from '../model/image-ref.js'
import type { ImageConfig, RemoteManifest } from '../model/oci.js'

/**
 * The registry, as the release needs it: read manifests, copy a digest to tags. A credential
 * the registry refuses is a RegistryUnauthorized (model/errors.ts), with the user's remedy.
 */
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
  /**
   * Copies the image at a digest reference (every manifest and blob) into another repository,
   * on this registry or another one, stored by its digest without a tag.
   */
  copyDigest(sourceDigestRef: string, target: ImageRepository): Promise<void>
  /**
   * Whether this client may push to a repository, asked without storing anything: an upload is
   * opened (which needs push access) and never completed. A refusal is a RegistryUnauthorized;
   * undefined when this way cannot tell (a registry reached through imagetools only).
   */
  pushAccess?(image: ImageRepository): Promise<true | undefined>
  /**
   * Makes one index of several pushed images (native runners' platform images, by digest),
   * with index annotations, stored by its digest without a tag; its digest.
   */
  assemble(
    image: ImageRepository,
    sources: readonly string[],
    annotations: Readonly<Record<string, string>>,
  ): Promise<string>
  /**
   * Pushes an OCI image layout (a docker-driver build) by digest, without a tag; its digest.
   * `annotate`: annotations for an image manifest saved without them (the classic store).
   */
  pushLayout(
    image: ImageRepository,
    layout: string,
    annotate?: Readonly<Record<string, string>>,
  ): Promise<string>
  /** Writes the index at a digest, every platform and blob, as an OCI image layout tar. */
  archive(image: ImageRepository, digest: string, tag: string, path: string): Promise<void>
  /**
   * The first bytes of a file in a single-platform image (name@digest), read from its layers;
   * undefined when this way cannot tell for certain (then the engine is asked).
   */
  fileHead?(ref: string, path: string): Promise<Buffer | undefined>
}
