/** What a buildx driver can do, as the release needs it. */
export interface DriverAbilities {
  /** Push an index untagged, by digest (no candidate tag left in the registry). */
  readonly pushByDigest: boolean
  /** Load a multi-platform image into the engine's store at once. */
  readonly multiPlatformLoad: boolean
  /** Build several platforms into one image at all. */
  readonly multiPlatform: boolean
  /** Export the result as an OCI image layout (the classic store's docker driver cannot). */
  readonly ociExport: boolean
}

/**
 * The docker driver builds in the engine itself: it cannot push by digest, and needs the
 * containerd image store for multi-platform images. BuildKit drivers (docker-container,
 * kubernetes, remote) push by digest and build any platform their nodes or QEMU support.
 */
export function driverAbilities(driver: string, containerdStore: boolean): DriverAbilities {
  if (driver === 'docker') {
    return {
      pushByDigest: false,
      multiPlatformLoad: containerdStore,
      multiPlatform: containerdStore,
      ociExport: containerdStore,
    }
  }
  return { pushByDigest: true, multiPlatformLoad: false, multiPlatform: true, ociExport: true }
}

/**
 * How a candidate reaches the registry without a tag: pushed by digest by the builder itself;
 * exported as an OCI layout that the registry client pushes by digest; or (the classic store's
 * docker driver, one platform) loaded into the engine and saved as one.
 */
export function candidateStrategy(
  abilities: DriverAbilities,
): 'push-by-digest' | 'oci-layout' | 'load-and-save' {
  if (abilities.pushByDigest) return 'push-by-digest'
  return abilities.ociExport ? 'oci-layout' : 'load-and-save'
}
