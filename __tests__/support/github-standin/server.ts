// The HTTP side: GHES-style URL layout, auth, faults, schema checks, then the operation handler.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ErrorObject } from 'ajv'
import type { Fault, Faults } from './faults.js'
import { matchOperation, requestBodyErrors, responseBodyErrors, type Operation } from './openapi.js'
import { releaseWebTag, type Actor, type Urls } from './representations.js'
import { handlers, type Reply } from './routes.js'
import { ApiError, type Release, type World } from './state.js'

export const API_PREFIX = '/api/v3'
export const UPLOADS_PREFIX = '/api/uploads'

export interface RequestRecord {
  readonly method: string
  /** The full URL path, prefix included, e.g. `/api/v3/repos/acme/app/releases`. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** 0 when the stand-in hung up instead of answering. */
  readonly status: number
  /** GitHub's operation id (`repos/create-release`), `web/…` for browser URLs. */
  readonly operation: string | undefined
  /** False for a documented operation the stand-in does not implement (answered 404). */
  readonly implemented: boolean
  readonly fault: boolean
  /** The JSON request body, when there was one. */
  readonly body?: unknown
  readonly bytes: number
}

export interface Violation {
  readonly operation: string
  readonly where: 'request' | 'response'
  readonly method: string
  readonly path: string
  readonly status?: number
  readonly errors: readonly Partial<ErrorObject>[]
}

export interface ServerDeps {
  readonly world: World
  readonly urls: Urls
  readonly actor: Actor
  readonly token: string
  readonly validate: boolean
  readonly faults: Faults
  readonly requests: RequestRecord[]
  readonly violations: Violation[]
  readonly closing: AbortSignal
  /** What the token may do: GITHUB_TOKEN without 'contents: write' can only read. */
  readonly permissions: { contents: 'read' | 'write' }
  /** Told of each request as it arrives, before it is handled (to act at that very moment). */
  readonly listeners: ((record: RequestRecord) => void)[]
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const GENERIC_DOCS = 'https://docs.github.com/rest'

function readBody(req: IncomingMessage, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= limit) {
        req.off('data', onData)
        req.pause()
        resolve(Buffer.concat(chunks))
      }
    }
    req.on('data', onData)
    req.on('end', () => {
      resolve(Buffer.concat(chunks))
    })
    req.on('error', reject)
  })
}

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (Number.isFinite(ms)) {
    await sleep(ms, undefined, { signal })
    return
  }
  await new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => {
      reject(new Error('aborted'))
    })
  })
}

function authorized(req: IncomingMessage, token: string): boolean {
  const found = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  return found?.[1] === token
}

function errorBody(status: number, body: Record<string, unknown>, docs: string): unknown {
  return { ...body, documentation_url: docs, status: String(status) }
}

/** Error messages in GitHub's own style for a body that breaks the operation's schema. */
function invalidRequestMessage(body: unknown, errors: readonly ErrorObject[]): string {
  const lines = errors.map((e) => {
    if (e.keyword === 'required') return `"${String(e.params.missingProperty)}" wasn't supplied.`
    const where = `properties${e.instancePath.replace(/\//g, '/properties/').replace(/^\/properties/, '')}`
    const value = JSON.stringify(valueAt(body, e.instancePath))
    if (e.keyword === 'type') return `For '${where}', ${value} is not a ${String(e.params.type)}.`
    return `For '${where}', ${value} ${e.message ?? 'is invalid'}.`
  })
  return `Invalid request.\n\n${lines.join('\n')}`
}

function valueAt(json: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (node, key) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[key]
          : undefined,
      json,
    )
}

/** Schema gaps where GitHub's real answers differ from its published description. */
function knownGap(json: unknown, error: ErrorObject): boolean {
  return (
    error.keyword === 'enum' &&
    error.instancePath.endsWith('/state') &&
    valueAt(json, error.instancePath) === 'starter'
  )
}

export function createHandler(deps: ServerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(deps, req, res).catch((error: unknown) => {
      // Aborted waits and closed sockets end here; anything else is a stand-in bug worth seeing.
      if (res.headersSent || res.destroyed || deps.closing.aborted) return
      send(res, 500, { message: `stand-in error: ${String(error)}` })
    })
  }
}

function send(
  res: ServerResponse,
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
) {
  const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json))
  res.writeHead(status, {
    'x-github-request-id': randomUUID(),
    'x-github-api-version-selected': '2022-11-28',
    ...(payload && {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(payload.length),
    }),
    ...headers,
  })
  res.end(payload)
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', deps.urls.server)
  const method = (req.method ?? 'GET').toUpperCase()
  const path = url.pathname
  const uploads = path.startsWith(`${UPLOADS_PREFIX}/`)
  const api = uploads || path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)
  const relative = path.slice((uploads ? UPLOADS_PREFIX : API_PREFIX).length)
  const match = api ? matchOperation(method, relative, uploads) : undefined
  const web = api ? undefined : webRoute(method, path)
  const operationId = match?.operation.id ?? web?.operation
  const record: Mutable<RequestRecord> = {
    method,
    path,
    query: Object.fromEntries(url.searchParams),
    status: 0,
    operation: operationId,
    implemented: web !== undefined || (match !== undefined && match.operation.id in handlers),
    fault: false,
    bytes: 0,
  }
  deps.requests.push(record)
  for (const listener of deps.listeners) listener(record)
  const connectionGone = new AbortController()
  res.on('close', () => {
    connectionGone.abort()
  })
  const signal = AbortSignal.any([deps.closing, connectionGone.signal])

  // Read only when a fault must look at the body: otherwise an upload fault reads it partially.
  let read: Buffer | undefined
  const fault = await deps.faults.take(method, path, operationId, async () => {
    read ??= await readBody(req)
    return read.toString('utf8')
  })
  if (fault) record.fault = true
  if (fault?.spec.delayMs !== undefined) await wait(fault.spec.delayMs, signal)
  if (fault?.spec.hold !== undefined) await fault.spec.hold.catch(() => undefined)
  const failsNow =
    fault !== undefined &&
    !fault.spec.afterEffect &&
    (fault.spec.hangUp === true ||
      fault.spec.status !== undefined ||
      fault.spec.afterBytes !== undefined)
  if (fault && failsNow) {
    const partial = read ?? (await readBody(req, fault.spec.afterBytes ?? Infinity))
    record.bytes = partial.length
    if (fault.spec.leaveStarterAsset && match) leaveStarterAsset(deps, match.params, url)
    failWith(req, res, record, fault)
    return
  }

  const raw = read ?? (await readBody(req))
  record.bytes = raw.length
  let reply: Reply
  let operation: Operation | undefined
  if (web) {
    const answer = web.handle(deps, req, url)
    record.status = answer.status
    res.writeHead(answer.status, answer.headers)
    res.end(answer.bytes)
    return
  } else if (!authorized(req, deps.token)) {
    reply = { status: 401, json: errorBody(401, { message: 'Bad credentials' }, GENERIC_DOCS) }
  } else if (!match || !(match.operation.id in handlers)) {
    reply = { status: 404, json: errorBody(404, { message: 'Not Found' }, GENERIC_DOCS) }
  } else if (
    deps.permissions.contents === 'read' &&
    req.method !== 'GET' &&
    req.method !== 'HEAD'
  ) {
    // What GitHub answers a GITHUB_TOKEN that lacks the permission a write needs.
    operation = match.operation
    reply = {
      status: 403,
      json: errorBody(403, { message: 'Resource not accessible by integration' }, GENERIC_DOCS),
      headers: { 'x-accepted-github-permissions': 'contents=write' },
    }
  } else {
    operation = match.operation
    reply = runOperation(deps, record, operation, match.params, req, url, raw)
    if (operation.id === 'repos/get' && reply.status === 200) {
      const permissions = (reply.json as { permissions?: { push?: boolean } }).permissions
      if (permissions) permissions.push = deps.permissions.contents === 'write'
    }
  }

  if (operation && deps.validate) checkResponse(deps, record, operation, reply)
  if (fault?.spec.afterEffect) {
    failWith(req, res, record, fault)
    return
  }
  record.status = reply.status
  send(res, reply.status, reply.json, { ...reply.headers })
}

function checkResponse(
  deps: ServerDeps,
  record: RequestRecord,
  operation: Operation,
  reply: Reply,
) {
  if (reply.json === undefined) return
  const errors = responseBodyErrors(operation, reply.status, reply.json)?.filter(
    (e) => !knownGap(reply.json, e),
  )
  if (!errors || errors.length === 0) return
  const { method, path } = record
  deps.violations.push({
    operation: operation.id,
    where: 'response',
    method,
    path,
    status: reply.status,
    errors,
  })
}

function runOperation(
  deps: ServerDeps,
  record: Mutable<RequestRecord>,
  operation: Operation,
  params: Readonly<Record<string, string>>,
  req: IncomingMessage,
  url: URL,
  raw: Buffer,
): Reply {
  const docs = operation.documentationUrl
  let body: unknown = undefined
  if (!operation.uploads && raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return { status: 400, json: errorBody(400, { message: 'Problems parsing JSON' }, docs) }
    }
    record.body = body
  }
  if (deps.validate && !operation.uploads) {
    const errors = requestBodyErrors(operation, body ?? {})
    if (errors && errors.length > 0) {
      deps.violations.push({
        operation: operation.id,
        where: 'request',
        method: record.method,
        path: record.path,
        errors,
      })
      return {
        status: 422,
        json: errorBody(422, { message: invalidRequestMessage(body, errors) }, docs),
      }
    }
  }
  try {
    const handler = handlers[operation.id]
    if (!handler) throw new Error(`no handler for ${operation.id}`)
    return handler({
      params,
      query: url.searchParams,
      body: body ?? {},
      rawBody: raw,
      headers: req.headers,
      url,
      world: deps.world,
      urls: deps.urls,
      actor: deps.actor,
    })
  } catch (error) {
    if (error instanceof ApiError) {
      return { status: error.status, json: errorBody(error.status, error.body, docs) }
    }
    deps.violations.push({
      operation: operation.id,
      where: 'response',
      method: record.method,
      path: record.path,
      errors: [{ keyword: 'stand-in', message: String(error) }],
    })
    return { status: 500, json: errorBody(500, { message: 'Server Error' }, docs) }
  }
}

function failWith(
  req: IncomingMessage,
  res: ServerResponse,
  record: Mutable<RequestRecord>,
  fault: Fault,
) {
  const { status, hangUp, body, headers } = fault.spec
  if (hangUp === true || status === undefined) {
    record.status = 0
    req.socket.destroy()
    return
  }
  record.status = status
  const message = { message: STATUS_CODES[status] ?? 'Injected failure' }
  // The client may still be sending: answer, then drop the connection rather than drain it.
  res.on('finish', () => req.socket.destroy())
  send(res, status, body ?? message, { connection: 'close', ...headers })
}

/** An interrupted upload on GitHub can leave an empty asset that blocks re-uploading the name. */
function leaveStarterAsset(deps: ServerDeps, params: Readonly<Record<string, string>>, url: URL) {
  const release = deps.world.release(Number(params.release_id))
  const name = url.searchParams.get('name')
  if (!release || !name || release.assets.some((a) => a.name === name)) return
  deps.world.addAsset(release, {
    name,
    label: url.searchParams.get('label'),
    contentType: 'application/octet-stream',
    bytes: Buffer.alloc(0),
    state: 'starter',
  })
}

interface WebAnswer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly bytes?: Buffer
}

interface WebRoute {
  readonly operation: (typeof WEB_OPERATIONS)[number]
  handle(deps: ServerDeps, req: IncomingMessage, url: URL): WebAnswer
}

const notFoundPage: WebAnswer = {
  status: 404,
  headers: { 'content-type': 'text/plain' },
  bytes: Buffer.from('Not Found'),
}

/** Operation ids the request log uses for browser URLs, alongside GitHub's own. */
export const WEB_OPERATIONS = ['web/download-release-asset', 'web/release-page'] as const

/** Browser URLs the API hands out: release pages and asset downloads. */
function webRoute(method: string, path: string): WebRoute | undefined {
  if (method !== 'GET') return undefined
  const download = /^\/([^/]+)\/([^/]+)\/releases\/download\/(.+)\/([^/]+)$/.exec(path)
  if (download) {
    const [, owner = '', name = '', tag = '', file = ''] = download.map((p) =>
      decodeURIComponent(p),
    )
    return {
      operation: 'web/download-release-asset',
      handle: (deps, req) => {
        const release = findWebRelease(deps, req, owner, name, tag)
        const asset = release?.assets.find((a) => a.name === file && a.state === 'uploaded')
        if (!asset) return notFoundPage
        asset.downloadCount += 1
        return {
          status: 200,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(asset.bytes.length),
            'content-disposition': `attachment; filename=${asset.name}`,
          },
          bytes: asset.bytes,
        }
      },
    }
  }
  const page = /^\/([^/]+)\/([^/]+)\/releases\/tag\/(.+)$/.exec(path)
  if (page) {
    const [, owner = '', name = '', tag = ''] = page.map((p) => decodeURIComponent(p))
    return {
      operation: 'web/release-page',
      handle: (deps, req) => {
        const release = findWebRelease(deps, req, owner, name, tag)
        if (!release) return notFoundPage
        const title = release.name ?? release.tagName
        return {
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          bytes: Buffer.from(`<!doctype html><title>${title}</title><h1>${title}</h1>`),
        }
      },
    }
  }
  return undefined
}

/** Drafts and private repositories are only visible with the token; others are public. */
function findWebRelease(
  deps: ServerDeps,
  req: IncomingMessage,
  owner: string,
  name: string,
  tag: string,
): Release | undefined {
  const repo = deps.world.repo(owner, name)
  if (!repo) return undefined
  const signedIn = authorized(req, deps.token)
  if (repo.visibility !== 'public' && !signedIn) return undefined
  return [...repo.releases.values()].find((r) => releaseWebTag(r) === tag && (!r.draft || signedIn))
}
