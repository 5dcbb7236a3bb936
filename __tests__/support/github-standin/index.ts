// A stateful local stand-in of GitHub's REST API, laid out like GitHub Enterprise Server, so the
// action under test reaches it only through GITHUB_API_URL and the upload_url it hands out.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Faults, type Fault, type FaultSpec } from './faults.js'
import { operationById, operations } from './openapi.js'
import {
  assetJson,
  releaseJson,
  type Actor,
  type AssetJson,
  type ReleaseJson,
  type Urls,
} from './representations.js'
import {
  API_PREFIX,
  UPLOADS_PREFIX,
  WEB_OPERATIONS,
  createHandler,
  type RequestRecord,
  type Violation,
} from './server.js'
import { peel } from './git.js'
import type { SeedAnnotatedTag, SeedCommit, SeedPull, SeedRelease, SeedRepo } from './seeds.js'
import { World, type Repo } from './state.js'

export type { Fault, FaultSpec } from './faults.js'
export type { Actor, AssetJson, ReleaseJson } from './representations.js'
export type { RequestRecord, Violation } from './server.js'
export { fakeSha } from './seeds.js'
export type {
  MakeLatest,
  SeedAnnotatedTag,
  SeedAsset,
  SeedCommit,
  SeedPull,
  SeedRelease,
  SeedRepo,
  Visibility,
} from './seeds.js'

export interface StandInOptions {
  /** The only token accepted (`authorization: token …` or `bearer …`). */
  token: string
  repos: SeedRepo[]
  /** Who the token belongs to: author of releases, uploader of assets. */
  actor?: Actor
  /** Clock for created_at/published_at; default the real time. */
  now?: () => Date
  /** Validate bodies against GitHub's OpenAPI description (default true). */
  validate?: boolean
}

/** An asset as stored: the API's JSON plus the uploaded bytes. */
export type StoredAsset = AssetJson & { readonly bytes: Buffer }

export interface GitHubStandIn {
  /** `GITHUB_API_URL`: `http://127.0.0.1:PORT/api/v3`. */
  readonly apiUrl: string
  /** Where upload_url points: `http://127.0.0.1:PORT/api/uploads`. */
  readonly uploadsUrl: string
  /** `GITHUB_SERVER_URL`: `http://127.0.0.1:PORT`; html_url and browser_download_url live here. */
  readonly serverUrl: string
  /** GITHUB_API_URL, GITHUB_SERVER_URL and GITHUB_GRAPHQL_URL for a child process. */
  readonly env: Readonly<Record<string, string>>
  /** Every request received, in order. */
  readonly requests: readonly RequestRecord[]
  /** Request or response bodies that broke GitHub's published schemas. */
  readonly violations: readonly Violation[]
  fail(spec: FaultSpec): Fault
  /** Calls `listener` with each request as it arrives, before it is handled; returns its removal. */
  onRequest(listener: (record: RequestRecord) => void): () => void
  /** Gives the token read-only or write access to contents (releases, tags, assets). */
  setContentsPermission(access: 'read' | 'write'): void
  clearFaults(): void
  clearRequests(): void
  /** Releases as `GET /releases` lists them (newest first, drafts included). */
  releases(owner: string, repo: string): ReleaseJson[]
  release(id: number): ReleaseJson | undefined
  /** The release `GET /releases/latest` answers, if any. */
  latestRelease(owner: string, repo: string): ReleaseJson | undefined
  /** Tag name → commit sha (an annotated tag is followed to its commit). */
  tags(owner: string, repo: string): Record<string, string>
  /** Branch name → head sha. */
  branches(owner: string, repo: string): Record<string, string>
  /** Every ref, custom namespaces included: full name → the sha it stores (tag object or commit). */
  refs(owner: string, repo: string): Record<string, string>
  /** The message of every commit object, those written through the API included, oldest first. */
  commitMessages(owner: string, repo: string): string[]
  assets(releaseId: number): StoredAsset[]
  seedRepo(seed: SeedRepo): void
  seedCommits(owner: string, repo: string, commits: SeedCommit[]): void
  setBranch(owner: string, repo: string, branch: string, sha: string): void
  /** A lightweight tag. */
  setTag(owner: string, repo: string, tag: string, sha: string): void
  /** An annotated tag; returns the tag object's sha (what `refs/tags/<tag>` then stores). */
  setAnnotatedTag(owner: string, repo: string, tag: string, seed: SeedAnnotatedTag): string
  /** The repository setting: releases published while it is on lock their assets and tag. */
  setImmutableReleases(owner: string, repo: string, on: boolean): void
  /** Turns discussions on with these categories (none: off). */
  setDiscussionCategories(owner: string, repo: string, categories: readonly string[]): void
  seedPull(owner: string, repo: string, pull: SeedPull): void
  seedRelease(owner: string, repo: string, release: SeedRelease): ReleaseJson
  close(): Promise<void>
}

const DEFAULT_ACTOR: Actor = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }

/** Refs under a prefix, named without it, each followed to the commit it names. */
function commitsUnder(repo: Repo, prefix: string): Record<string, string> {
  return Object.fromEntries(
    [...repo.refs.entries()]
      .filter(([ref]) => ref.startsWith(prefix))
      .map(([ref, sha]) => [ref.slice(prefix.length), peel(repo, sha) ?? sha]),
  )
}

const knownOperation = (id: string): boolean =>
  operationById(id) !== undefined || (WEB_OPERATIONS as readonly string[]).includes(id)

export async function startGitHubStandIn(options: StandInOptions): Promise<GitHubStandIn> {
  // Parse the OpenAPI description and build the route table before the first request arrives.
  operations()
  const closing = new AbortController()
  const requests: RequestRecord[] = []
  const violations: Violation[] = []
  const faults = new Faults()
  const permissions: { contents: 'read' | 'write' } = { contents: 'write' }
  const listeners: ((record: RequestRecord) => void)[] = []
  const actor = options.actor ?? DEFAULT_ACTOR

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const urls: Urls = { server: origin, api: origin + API_PREFIX, uploads: origin + UPLOADS_PREFIX }
  const world = new World(options.now ?? (() => new Date()), urls.server)
  server.on(
    'request',
    createHandler({
      world,
      urls,
      actor,
      token: options.token,
      validate: options.validate ?? true,
      faults,
      requests,
      violations,
      closing: closing.signal,
      permissions,
      listeners,
    }),
  )
  for (const seed of options.repos) world.addRepo(seed)

  const repo = (owner: string, name: string) => world.requireRepo(owner, name)
  return {
    apiUrl: urls.api,
    uploadsUrl: urls.uploads,
    serverUrl: urls.server,
    env: {
      GITHUB_API_URL: urls.api,
      GITHUB_SERVER_URL: urls.server,
      GITHUB_GRAPHQL_URL: `${urls.server}/api/graphql`,
    },
    requests,
    violations,
    setContentsPermission: (access) => {
      permissions.contents = access
    },
    fail: (spec) => {
      // A misspelt operation id would silently never fire.
      const route = spec.route
      if (typeof route === 'string' && !knownOperation(route)) {
        throw new Error(`stand-in: fail() names unknown operation ${route}`)
      }
      return faults.add(spec)
    },
    onRequest: (listener) => {
      listeners.push(listener)
      return () => {
        listeners.splice(listeners.indexOf(listener), 1)
      }
    },
    clearFaults: () => {
      faults.clear()
    },
    clearRequests: () => {
      requests.length = 0
    },
    releases: (owner, name) =>
      world.listReleases(repo(owner, name)).map((r) => releaseJson(urls, actor, r)),
    release: (id) => {
      const found = world.release(id)
      return found && releaseJson(urls, actor, found)
    },
    latestRelease: (owner, name) => {
      const found = world.latestRelease(repo(owner, name))
      return found && releaseJson(urls, actor, found)
    },
    tags: (owner, name) => commitsUnder(repo(owner, name), 'refs/tags/'),
    branches: (owner, name) => commitsUnder(repo(owner, name), 'refs/heads/'),
    refs: (owner, name) => Object.fromEntries(repo(owner, name).refs),
    commitMessages: (owner, name) => [...repo(owner, name).commits.values()].map((c) => c.message),
    assets: (releaseId) =>
      (world.release(releaseId)?.assets ?? []).map((a) => ({
        ...assetJson(urls, actor, a),
        bytes: Buffer.from(a.bytes),
      })),
    seedRepo: (seed) => {
      world.addRepo(seed)
    },
    seedCommits: (owner, name, commits) => {
      for (const commit of commits) world.addCommit(repo(owner, name), commit)
    },
    setBranch: (owner, name, branch, sha) => {
      world.setRef(repo(owner, name), `refs/heads/${branch}`, sha)
    },
    setTag: (owner, name, tag, sha) => {
      world.setRef(repo(owner, name), `refs/tags/${tag}`, sha)
    },
    setAnnotatedTag: (owner, name, tag, seed) =>
      world.setAnnotatedTag(repo(owner, name), tag, seed).sha,
    setImmutableReleases: (owner, name, on) => {
      repo(owner, name).immutableReleases = on
    },
    setDiscussionCategories: (owner, name, categories) => {
      repo(owner, name).discussionCategories = [...categories]
    },
    seedPull: (owner, name, pull) => {
      world.addPull(repo(owner, name), pull)
    },
    seedRelease: (owner, name, release) =>
      releaseJson(urls, actor, world.seedRelease(repo(owner, name), release)),
    close: async () => {
      closing.abort()
      server.closeAllConnections()
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      })
    },
  }
}
