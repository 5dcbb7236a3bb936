import type { GitHub } from '../ports/github.js'

/**
 * Where a run remembers the digests that passed every check, so that a re-run promotes them
 * instead of building again: a ref of the repository outside branches and tags (users never
 * see it), holding a commit whose message lists each image's digest and build identity. It
 * lives until the release is published, then it is removed.
 */
export const verifiedRef = (commit: string): string => `refs/multiarch-release/verified/${commit}`

/** One verified image: its repository, its digest, and what it was built from. */
export interface VerifiedImage {
  readonly image: string
  readonly digest: string
  readonly identity: string
  readonly version: string
}

const TITLE = 'multiarch-release: verified digests'

export function recordMessage(commit: string, images: readonly VerifiedImage[]): string {
  return `${TITLE} of ${commit}\n\n${JSON.stringify({ images }, undefined, 2)}\n`
}

/** The images a record lists; nothing for a message that is not one. */
export function parseRecord(message: string): VerifiedImage[] {
  if (!message.startsWith(TITLE)) return []
  try {
    const { images } = JSON.parse(message.slice(message.indexOf('\n\n') + 2)) as {
      images?: unknown
    }
    if (!Array.isArray(images)) return []
    return images.filter(
      (i): i is VerifiedImage =>
        typeof (i as VerifiedImage).image === 'string' &&
        typeof (i as VerifiedImage).digest === 'string' &&
        typeof (i as VerifiedImage).identity === 'string' &&
        typeof (i as VerifiedImage).version === 'string',
    )
  } catch {
    return []
  }
}

type RecordStore = Pick<
  GitHub,
  'refTarget' | 'readCommit' | 'createCommit' | 'createRef' | 'fastForwardRef' | 'deleteRef'
>

/** The verified images of a commit, as an earlier run of it recorded them. */
export async function readVerified(store: RecordStore, commit: string): Promise<VerifiedImage[]> {
  const head = await store.refTarget(verifiedRef(commit))
  return head === undefined ? [] : parseRecord((await store.readCommit(head)).message)
}

/**
 * Records verified images, keeping what the record says of other images (components verified
 * by an earlier attempt). A concurrent writer's record is read and merged again.
 */
export async function recordVerified(
  store: RecordStore,
  commit: string,
  images: readonly VerifiedImage[],
): Promise<void> {
  const ref = verifiedRef(commit)
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await store.refTarget(ref)
    const earlier = head === undefined ? undefined : await store.readCommit(head)
    const kept = parseRecord(earlier?.message ?? '').filter(
      (old) => !images.some((i) => i.image === old.image),
    )
    const tree = earlier?.tree ?? (await store.readCommit(commit)).tree
    const sha = await store.createCommit({
      message: recordMessage(commit, [...kept, ...images]),
      tree,
      parents: head === undefined ? [] : [head],
    })
    const moved =
      head === undefined ? await store.createRef(ref, sha) : await store.fastForwardRef(ref, sha)
    if (moved) return
  }
  throw new Error(`${ref} kept moving under five writes in a row`)
}

/**
 * Removes the record once the release is published: nothing is left behind. A record already
 * gone (a re-run after a complete release) is only read, never written.
 */
export async function forgetVerified(store: RecordStore, commit: string): Promise<void> {
  const ref = verifiedRef(commit)
  if ((await store.refTarget(ref)) === undefined) return
  await store.deleteRef(ref)
}
