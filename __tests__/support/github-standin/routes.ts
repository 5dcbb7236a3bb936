// One handler per implemented GitHub operation, keyed by the operation id GitHub documents.
import type { IncomingHttpHeaders } from 'node:http'
import { objectType, peel } from './git.js'
import type { Signature } from './git.js'
import {
  assetJson,
  commitJson,
  downloadUrl,
  gitCommitJson,
  pullJson,
  refJson,
  releaseJson,
  repositoryJson,
  tagJson,
  tagObjectJson,
  treeJson,
  type Actor,
  type Urls,
} from './representations.js'
import {
  ApiError,
  notFound,
  type Asset,
  type NotesInput,
  type ReleaseInput,
  type Release,
  type Repo,
  type World,
  validationFailed,
} from './state.js'

export interface HandlerContext {
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The parsed JSON body, already validated against the operation's schema. */
  readonly body: unknown
  readonly rawBody: Buffer
  readonly headers: IncomingHttpHeaders
  /** The request URL as the client addressed it, for Link headers. */
  readonly url: URL
  readonly world: World
  readonly urls: Urls
  readonly actor: Actor
}

export interface Reply {
  readonly status: number
  readonly json?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

type Handler = (ctx: HandlerContext) => Reply

const ok = (json: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  json,
  ...(headers && { headers }),
})

function repoOf(ctx: HandlerContext): Repo {
  const repo = ctx.world.repo(ctx.params.owner ?? '', ctx.params.repo ?? '')
  if (!repo) throw notFound()
  return repo
}

function numberParam(ctx: HandlerContext, name: string): number {
  return Number(ctx.params[name])
}

function releaseOf(ctx: HandlerContext): Release {
  const repo = repoOf(ctx)
  const release = ctx.world.release(numberParam(ctx, 'release_id'))
  if (release?.repo !== repo) throw notFound()
  return release
}

function pageSize(query: URLSearchParams): number {
  const asked = Number.parseInt(query.get('per_page') ?? '', 10)
  if (!Number.isFinite(asked) || asked < 1) return 30
  return Math.min(asked, 100)
}

/** One page of `items` and GitHub's Link header (prev, next, last, first). */
function paginate(ctx: HandlerContext, items: readonly unknown[]): Reply {
  const perPage = pageSize(ctx.query)
  const asked = Number.parseInt(ctx.query.get('page') ?? '', 10)
  const page = Number.isFinite(asked) && asked > 0 ? asked : 1
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const link = (n: number, rel: string) => {
    const target = new URL(ctx.url)
    target.searchParams.set('per_page', String(perPage))
    target.searchParams.set('page', String(n))
    return `<${target.href}>; rel="${rel}"`
  }
  const links: string[] = []
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'))
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'))
  if (page > 1) links.push(link(1, 'first'))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  return ok(slice, links.length > 0 ? { link: links.join(', ') } : undefined)
}

const releaseReply = (ctx: HandlerContext, release: Release, status = 200): Reply => ({
  status,
  json: releaseJson(ctx.urls, ctx.actor, release),
  ...(status === 201 && {
    headers: { location: `${ctx.urls.api}/repos/${release.repo.fullName}/releases/${release.id}` },
  }),
})

function assetOf(ctx: HandlerContext): Asset {
  const repo = repoOf(ctx)
  const asset = ctx.world.asset(numberParam(ctx, 'asset_id'))
  if (asset?.release.repo !== repo) throw notFound()
  return asset
}

/** The JSON of a ref, typed by the object it points at. */
function refReply(ctx: HandlerContext, repo: Repo, ref: string, status = 200): Reply {
  const sha = repo.refs.get(ref)
  const type = sha === undefined ? undefined : objectType(repo, sha)
  if (sha === undefined || type === undefined) throw notFound()
  return { status, json: refJson(ctx.urls, repo, ref, sha, type) }
}

/** GitHub's default author: the token's user, now; the committer defaults to the author. */
function signature(
  ctx: HandlerContext,
  given: { name?: string; email?: string; date?: string } | undefined,
  fallback?: Signature,
): Signature {
  const login = ctx.actor.login
  const base = fallback ?? {
    name: login,
    email: `${ctx.actor.id}+${login}@users.noreply.github.com`,
    date: ctx.world.now(),
  }
  if (!given) return base
  return {
    name: given.name ?? base.name,
    email: given.email ?? base.email,
    date: given.date ?? base.date,
  }
}

function noCommit(ref: string): ApiError {
  return new ApiError(422, { message: `No commit found for SHA: ${ref}` })
}

/** GitHub's asset names: characters outside a safe set become dots, no leading/trailing dots. */
export function assetName(name: string): string {
  return name.replace(/[^\w.+@-]/g, '.').replace(/^\.+|\.+$/g, '')
}

export const handlers: Readonly<Record<string, Handler>> = {
  'repos/get': (ctx) => ok(repositoryJson(ctx.urls, repoOf(ctx))),

  'repos/get-commit': (ctx) => {
    const repo = repoOf(ctx)
    const ref = ctx.params.ref ?? ''
    const sha = ctx.world.resolveCommitish(repo, ref)
    const commit = sha === undefined ? undefined : repo.commits.get(sha)
    if (!commit) throw noCommit(ref)
    return ok(commitJson(ctx.urls, repo, commit))
  },

  'repos/list-commits': (ctx) => {
    const repo = repoOf(ctx)
    const start = ctx.query.get('sha') ?? repo.defaultBranch
    const sha = ctx.world.resolveCommitish(repo, start)
    if (sha === undefined) throw noCommit(start)
    const since = ctx.query.get('since')
    const until = ctx.query.get('until')
    const commits = ctx.world
      .history(repo, sha)
      .filter((c) => (since === null || c.date >= since) && (until === null || c.date <= until))
    return paginate(
      ctx,
      commits.map((c) => commitJson(ctx.urls, repo, c)),
    )
  },

  'repos/list-pull-requests-associated-with-commit': (ctx) => {
    const repo = repoOf(ctx)
    const ref = ctx.params.commit_sha ?? ''
    const sha = ctx.world.resolveCommitish(repo, ref)
    if (sha === undefined) throw noCommit(ref)
    return paginate(
      ctx,
      ctx.world.pullsForCommit(repo, sha).map((p) => pullJson(ctx.urls, repo, p)),
    )
  },

  'git/get-ref': (ctx) => {
    const repo = repoOf(ctx)
    return refReply(ctx, repo, `refs/${ctx.params.ref ?? ''}`)
  },

  'git/list-matching-refs': (ctx) => {
    const repo = repoOf(ctx)
    // Everything under refs/ matches a prefix, custom namespaces included; no ref means all.
    const prefix = `refs/${ctx.params.ref ?? ''}`
    const refs = [...repo.refs.keys()].filter((ref) => ref.startsWith(prefix)).sort()
    return ok(refs.map((ref) => refReply(ctx, repo, ref).json))
  },

  'git/create-ref': (ctx) => {
    const repo = repoOf(ctx)
    const { ref, sha } = ctx.body as { ref: string; sha: string }
    ctx.world.createRef(repo, ref, sha)
    return {
      ...refReply(ctx, repo, ref, 201),
      headers: { location: `${ctx.urls.api}/repos/${repo.fullName}/git/${ref}` },
    }
  },

  'git/update-ref': (ctx) => {
    const repo = repoOf(ctx)
    const ref = `refs/${ctx.params.ref ?? ''}`
    const { sha, force } = ctx.body as { sha: string; force?: boolean }
    ctx.world.updateRef(repo, ref, sha, force ?? false)
    return refReply(ctx, repo, ref)
  },

  'git/delete-ref': (ctx) => {
    ctx.world.deleteRef(repoOf(ctx), `refs/${ctx.params.ref ?? ''}`)
    return { status: 204 }
  },

  'git/create-tag': (ctx) => {
    const repo = repoOf(ctx)
    const body = ctx.body as {
      tag: string
      message: string
      object: string
      tagger?: { name: string; email: string; date?: string }
    }
    const tag = ctx.world.createTagObject(repo, {
      tag: body.tag,
      message: body.message,
      object: body.object,
      tagger: signature(ctx, body.tagger),
    })
    return {
      status: 201,
      json: tagObjectJson(ctx.urls, repo, tag),
      headers: { location: `${ctx.urls.api}/repos/${repo.fullName}/git/tags/${tag.sha}` },
    }
  },

  'git/get-tag': (ctx) => {
    const repo = repoOf(ctx)
    const tag = repo.tagObjects.get(ctx.params.tag_sha ?? '')
    if (!tag) throw notFound()
    return ok(tagObjectJson(ctx.urls, repo, tag))
  },

  'git/create-commit': (ctx) => {
    const repo = repoOf(ctx)
    const body = ctx.body as {
      message: string
      tree: string
      parents?: string[]
      author?: { name: string; email: string; date?: string }
      committer?: { name?: string; email?: string; date?: string }
    }
    const author = signature(ctx, body.author)
    const commit = ctx.world.createCommit(repo, {
      message: body.message,
      tree: body.tree,
      parents: body.parents ?? [],
      author,
      committer: signature(ctx, body.committer, author),
    })
    return {
      status: 201,
      json: gitCommitJson(ctx.urls, repo, commit),
      headers: { location: `${ctx.urls.api}/repos/${repo.fullName}/git/commits/${commit.sha}` },
    }
  },

  'git/get-commit': (ctx) => {
    const repo = repoOf(ctx)
    const commit = repo.commits.get(ctx.params.commit_sha ?? '')
    if (!commit) throw notFound()
    return ok(gitCommitJson(ctx.urls, repo, commit))
  },

  'git/get-tree': (ctx) => {
    const repo = repoOf(ctx)
    // GitHub also takes a ref or commit here and answers its tree.
    const asked = ctx.params.tree_sha ?? ''
    const commit = repo.commits.get(ctx.world.resolveCommitish(repo, asked) ?? '')
    const sha = repo.trees.has(asked) ? asked : commit?.tree
    if (sha === undefined) throw notFound()
    return ok(treeJson(ctx.urls, repo, sha))
  },

  'repos/list-tags': (ctx) => {
    const repo = repoOf(ctx)
    // GitHub lists the commit an annotated tag points at, not the tag object.
    const tags = [...repo.refs.entries()]
      .filter(([ref]) => ref.startsWith('refs/tags/'))
      .map(([ref, sha]) => ({ name: ref.slice('refs/tags/'.length), commit: peel(repo, sha) }))
      .filter((t): t is { name: string; commit: string } => t.commit !== undefined)
      .map((t) => tagJson(ctx.urls, repo, t.name, t.commit))
      .sort((a, b) => (a.name < b.name ? 1 : -1))
    return paginate(ctx, tags)
  },

  'repos/list-releases': (ctx) => {
    const repo = repoOf(ctx)
    return paginate(
      ctx,
      ctx.world.listReleases(repo).map((r) => releaseJson(ctx.urls, ctx.actor, r)),
    )
  },

  'repos/get-release': (ctx) => releaseReply(ctx, releaseOf(ctx)),

  'repos/get-release-by-tag': (ctx) => {
    const release = ctx.world.publishedByTag(repoOf(ctx), ctx.params.tag ?? '')
    if (!release) throw notFound()
    return releaseReply(ctx, release)
  },

  'repos/get-latest-release': (ctx) => {
    const release = ctx.world.latestRelease(repoOf(ctx))
    if (!release) throw notFound()
    return releaseReply(ctx, release)
  },

  'repos/create-release': (ctx) => {
    const release = ctx.world.createRelease(repoOf(ctx), ctx.body as ReleaseInput)
    return releaseReply(ctx, release, 201)
  },

  'repos/update-release': (ctx) => {
    const release = releaseOf(ctx)
    ctx.world.updateRelease(release, ctx.body as ReleaseInput)
    return releaseReply(ctx, release)
  },

  'repos/delete-release': (ctx) => {
    ctx.world.deleteRelease(releaseOf(ctx))
    return { status: 204 }
  },

  'repos/generate-release-notes': (ctx) =>
    ok(ctx.world.generateNotes(repoOf(ctx), ctx.body as NotesInput)),

  'repos/list-release-assets': (ctx) =>
    paginate(
      ctx,
      releaseOf(ctx).assets.map((a) => assetJson(ctx.urls, ctx.actor, a)),
    ),

  'repos/upload-release-asset': (ctx) => {
    const release = releaseOf(ctx)
    const name = assetName(ctx.query.get('name') ?? '')
    if (name === '') throw validationFailed('ReleaseAsset', 'missing_field', 'name')
    const asset = ctx.world.uploadAsset(release, {
      name,
      label: ctx.query.get('label'),
      contentType: ctx.headers['content-type'] ?? 'application/octet-stream',
      bytes: ctx.rawBody,
      state: 'uploaded',
    })
    return { status: 201, json: assetJson(ctx.urls, ctx.actor, asset) }
  },

  'repos/get-release-asset': (ctx) => {
    const asset = assetOf(ctx)
    // Like GitHub, the binary is a redirect away when the caller asks for octet-stream.
    if (ctx.headers.accept?.includes('application/octet-stream')) {
      return { status: 302, headers: { location: downloadUrl(ctx.urls, asset) } }
    }
    return ok(assetJson(ctx.urls, ctx.actor, asset))
  },

  'repos/update-release-asset': (ctx) => {
    const asset = assetOf(ctx)
    ctx.world.updateAsset(asset, ctx.body as { name?: string; label?: string; state?: string })
    return ok(assetJson(ctx.urls, ctx.actor, asset))
  },

  'repos/delete-release-asset': (ctx) => {
    ctx.world.deleteAsset(assetOf(ctx))
    return { status: 204 }
  },
}
