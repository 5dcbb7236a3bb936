/** What a buildx driver can do, as the release needs it. */
export interface DriverAbilities {
  /** Push an index untagged, by digest (no candidate tag left in the registry). */
  readonly pushByDigest: boolean
  /** Load a multi-platform image into the engine's store at once. */
  readonly multiPlatformLoad: boolean
  /** Build several platforms into one image at all. */
  readonly multiPlatform: boolean
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
    }
  }
  return { pushByDigest: true, multiPlatformLoad: false, multiPlatform: true }
}

/** Where a release's candidate goes: untagged by digest where the driver can, else a run-unique tag. */
export function candidateStrategy(abilities: DriverAbilities): 'push-by-digest' | 'candidate-tag' {
  return abilities.pushByDigest ? 'push-by-digest' : 'candidate-tag'
}
