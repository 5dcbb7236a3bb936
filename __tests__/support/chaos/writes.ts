// The write requests of a release, as the registry proxy and the GitHub stand-in see them: the
// moments a kill is aimed at.

/** One kind of write: an operation of GitHub's, or a kind of registry write. */
export interface WriteEvent {
  readonly via: 'github' | 'registry'
  readonly what: string
}

/** The n-th write of a kind (1-based): a moment a kill can be aimed at. */
export interface WriteMoment extends WriteEvent {
  readonly nth: number
}

/** What a registry request writes, or undefined for a read (or a blob's later chunks). */
export function registryWrite(method: string, url: string): string | undefined {
  const path = url.replace(/\?.*$/, '')
  if (method === 'POST' && /\/blobs\/uploads\/$/.test(path)) return 'blob upload'
  const manifest = /\/manifests\/([^/]+)$/.exec(path)?.[1]
  if (manifest === undefined) return undefined
  // The action deletes nothing: a DELETE would be a broken promise, and counted as one.
  if (method === 'DELETE') return 'manifest removal'
  if (method !== 'PUT') return undefined
  // The candidate (its platform manifests, then its index) is pushed by digest, untagged.
  if (manifest.startsWith('sha256:')) return 'manifest by digest'
  return `tag ${decodeURIComponent(manifest)}`
}

/** A GitHub request that writes, named by its operation; undefined for a read. */
export function gitHubWrite(method: string, operation: string | undefined): string | undefined {
  return method === 'GET' || method === 'HEAD' ? undefined : (operation ?? 'unknown')
}

/** Counts the writes of one run as they arrive, and acts when an aimed-at one comes. */
export class WriteCounter {
  private readonly counts = new Map<string, number>()
  readonly seen: WriteMoment[] = []
  private readonly aims: { moment: WriteMoment; act: () => void }[] = []

  /** Called with each write as it arrives. */
  arrived(event: WriteEvent): void {
    const key = `${event.via} ${event.what}`
    const nth = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, nth)
    this.seen.push({ ...event, nth })
    for (const aim of this.aims) {
      const { moment } = aim
      if (moment.via === event.via && moment.what === event.what && moment.nth === nth) aim.act()
    }
  }

  aim(moment: WriteMoment, act: () => void): void {
    this.aims.push({ moment, act })
  }
}

const w = (via: WriteEvent['via'], what: string, nth = 1): WriteMoment => ({ via, what, nth })

/**
 * The writes a kill is aimed at: every write of the release's steps, in their order, and the
 * first of those a build pushes. A fixed list, so that a seed gives the same schedule anywhere.
 */
export const AIMED_WRITES: readonly WriteMoment[] = [
  w('registry', 'blob upload'),
  w('registry', 'manifest by digest'),
  w('github', 'git/create-commit'), // the record of the verified digest
  w('github', 'git/create-ref'),
  w('github', 'repos/generate-release-notes'),
  w('github', 'repos/create-release'),
  w('github', 'repos/upload-release-asset'),
  w('github', 'repos/upload-release-asset', 2),
  w('github', 'git/create-commit', 2), // the release lease
  w('github', 'git/create-ref', 2),
  w('registry', 'tag 1.0.0'),
  w('registry', 'tag 1.0'),
  w('registry', 'tag 1'),
  w('registry', 'tag latest'),
  w('github', 'repos/update-release'),
  w('github', 'git/delete-ref'), // the record, once the Release is out
  w('github', 'git/create-commit', 3), // the lease given back
  w('github', 'git/update-ref'),
]

/** The aimed-at writes a clean run did not make (the list has drifted from the pipeline). */
export function missingWrites(seen: readonly WriteMoment[]): WriteMoment[] {
  return AIMED_WRITES.filter(
    (a) => !seen.some((s) => s.via === a.via && s.what === a.what && s.nth === a.nth),
  )
}

export const describeWrite = (w: WriteMoment): string =>
  `${w.via === 'github' ? 'GitHub' : 'registry'} ${w.what}${w.nth > 1 ? ` #${w.nth}` : ''}`
