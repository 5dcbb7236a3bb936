// A repository's git object database (commits, trees, annotated tag objects, refs) and the rules
// GitHub's Git database API applies to it: ref names, object types and fast-forward updates.
// Every write here is synchronous, so a compare-and-swap on a ref is atomic in the stand-in.
import { createHash } from 'node:crypto'
import { ApiError, unprocessable } from './errors.js'

export interface Identity {
  readonly name: string
  readonly email: string
}

export interface Signature extends Identity {
  /** ISO 8601. */
  readonly date: string
}

export type GitObjectType = 'commit' | 'tree' | 'tag'

export interface Commit {
  readonly sha: string
  readonly message: string
  /** Committer date, ISO 8601: what `git log` orders by. */
  readonly date: string
  readonly authorDate: string
  readonly parents: readonly string[]
  readonly author: Identity
  readonly committer: Identity
  readonly tree: string
}

/** An annotated tag: an object of its own that points at another object. */
export interface TagObject {
  readonly sha: string
  readonly tag: string
  readonly message: string
  readonly object: string
  readonly type: GitObjectType
  readonly tagger: Signature
}

export interface GitDatabase {
  readonly commits: Map<string, Commit>
  /** Trees are known by sha only: the stand-in keeps no file contents. */
  readonly trees: Set<string>
  readonly tagObjects: Map<string, TagObject>
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`, `refs/x/y`) → commit or tag object sha. */
  readonly refs: Map<string, string>
}

export const SHA = /^[0-9a-f]{40}$/

export function objectType(db: GitDatabase, sha: string): GitObjectType | undefined {
  if (db.commits.has(sha)) return 'commit'
  if (db.tagObjects.has(sha)) return 'tag'
  if (db.trees.has(sha)) return 'tree'
  return undefined
}

/** The commit an object names, following annotated tags (`sha^{commit}`); undefined for a tree. */
export function peel(db: GitDatabase, sha: string): string | undefined {
  let current = sha
  // Tag objects can point at tag objects; a cycle cannot occur in git, the bound only guards bugs.
  for (let depth = 0; depth < 100; depth++) {
    if (db.commits.has(current)) return current
    const tag = db.tagObjects.get(current)
    if (!tag) return undefined
    current = tag.object
  }
  return undefined
}

/** The commit and all its ancestors. */
export function ancestors(db: GitDatabase, sha: string): Set<string> {
  const seen = new Set<string>()
  const stack = [sha]
  while (stack.length > 0) {
    const next = stack.pop() ?? ''
    if (seen.has(next)) continue
    seen.add(next)
    stack.push(...(db.commits.get(next)?.parents ?? []))
  }
  return seen
}

/** A fast-forward keeps what the ref named: the new commit has the old one among its ancestors. */
export function fastForward(db: GitDatabase, current: string, next: string): boolean {
  if (current === next) return true
  const from = peel(db, current)
  const to = peel(db, next)
  return from !== undefined && to !== undefined && ancestors(db, to).has(from)
}

/** Git's id of an object: sha1 over its type, size and body. */
function objectSha(type: GitObjectType, body: string): string {
  const bytes = Buffer.from(body, 'utf8')
  return createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex')
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000)

const signatureLine = (role: string, who: Identity, date: string): string =>
  `${role} ${who.name} <${who.email}> ${seconds(date)} +0000`

export function commitSha(commit: Omit<Commit, 'sha'>): string {
  const lines = [
    `tree ${commit.tree}`,
    ...commit.parents.map((p) => `parent ${p}`),
    signatureLine('author', commit.author, commit.authorDate),
    signatureLine('committer', commit.committer, commit.date),
  ]
  return objectSha('commit', `${lines.join('\n')}\n\n${commit.message}`)
}

export function tagSha(tag: Omit<TagObject, 'sha'>): string {
  const lines = [
    `object ${tag.object}`,
    `type ${tag.type}`,
    `tag ${tag.tag}`,
    signatureLine('tagger', tag.tagger, tag.tagger.date),
  ]
  return objectSha('tag', `${lines.join('\n')}\n\n${tag.message}`)
}

/** Git's ref-name rules (`git check-ref-format`), applied to a full ref or one tag name. */
export function validRefName(name: string): boolean {
  return (
    name.length > 0 &&
    name !== '@' &&
    !/[\s~^:?*[\\\p{Cc}]/u.test(name) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.startsWith('/') &&
    !name.endsWith('/') &&
    !name.endsWith('.') &&
    !name.split('/').some((part) => part === '' || part.startsWith('.') || part.endsWith('.lock'))
  )
}

/** GitHub keeps pull request and internal refs read-only to the API. */
function reservedRef(ref: string): ApiError | undefined {
  if (/^refs\/pull(\/|$)/.test(ref)) return unprocessable('refs/pull/* is read-only.')
  if (/^refs\/__gh__(\/|$)/.test(ref)) {
    return unprocessable('refs/__gh__/* is reserved for internal use.')
  }
  return undefined
}

/** GitHub's checks on a new ref's name, in GitHub's order. */
function checkNewRefName(ref: string): void {
  if (!validRefName(ref)) throw unprocessable(`${ref} is not a valid ref name.`)
  if (!ref.startsWith('refs/')) throw unprocessable("Reference name must start with 'refs/'.")
  if (!/^refs\/[^/]+\/[^/]/.test(ref)) {
    throw unprocessable('Reference name must contain at least three slash-separated components.')
  }
  const reserved = reservedRef(ref)
  if (reserved) throw reserved
}

export function createRef(db: GitDatabase, ref: string, sha: string): void {
  checkNewRefName(ref)
  if (objectType(db, sha) === undefined) throw unprocessable('Object does not exist')
  if (db.refs.has(ref)) throw unprocessable('Reference already exists')
  db.refs.set(ref, sha)
}

/** The ref an existing-ref operation names, or GitHub's refusal. */
export function existingRef(db: GitDatabase, ref: string): string {
  const reserved = reservedRef(ref)
  if (reserved) throw reserved
  const current = db.refs.get(ref)
  if (current === undefined) throw unprocessable('Reference does not exist')
  return current
}

/** Moves a ref; without force only forward, checked and written with no await in between. */
export function updateRef(db: GitDatabase, ref: string, sha: string, force: boolean): void {
  const current = existingRef(db, ref)
  const type = objectType(db, sha)
  if (type === undefined) throw unprocessable('Object does not exist')
  if (ref.startsWith('refs/heads/') && type !== 'commit') {
    throw unprocessable('Object is not a commit')
  }
  if (!force && !fastForward(db, current, sha)) throw unprocessable('Update is not a fast forward')
  db.refs.set(ref, sha)
}

export function deleteRef(db: GitDatabase, ref: string): void {
  existingRef(db, ref)
  db.refs.delete(ref)
}
