import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'

/**
 * The fetch Octokit uses for an asset upload: node:http writes the body as the socket takes it,
 * so a file of any size is held one chunk at a time. The global fetch's stream body path holds
 * tens of megabytes in flight, whatever the socket takes (a 200 MB upload measured 50 to 95 MiB
 * above the process's baseline).
 *
 * It answers as fetch does for the parts Octokit reads (status, headers, a small body), and it
 * fails as fetch does: a network error is a TypeError whose cause is the error, an abort keeps
 * its AbortError, so Octokit's retry and error mapping treat it as any other request. A redirect
 * is not followed: GitHub never redirects an upload, and following one would mean sending the
 * body again.
 */
export async function streamingFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input))
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const headers = Object.fromEntries(new Headers(init.headers).entries())
  const signal = init.signal ?? undefined
  signal?.throwIfAborted()
  return new Promise<Response>((resolve, reject) => {
    const fail = (error: unknown): void => {
      // As fetch: an abort rejects with the signal's reason, whatever the socket reported.
      if (signal?.aborted) reject(signal.reason as Error)
      else if (error instanceof Error && error.name === 'AbortError') reject(error)
      else reject(new TypeError('fetch failed', { cause: error }))
    }
    const req = send(url, { method: init.method ?? 'GET', headers, ...(signal ? { signal } : {}) })
    req.once('error', fail)
    req.once('response', (res: IncomingMessage) => {
      readAnswer(res).then(resolve, fail)
    })
    const body = init.body
    if (body === undefined || body === null) {
      req.end()
    } else if (typeof body === 'string' || body instanceof Uint8Array) {
      req.end(body)
    } else if (isAsyncIterable(body)) {
      writeEach(req, body).catch((error: unknown) => {
        req.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    } else {
      req.destroy()
      reject(new TypeError('streamingFetch sends a string, bytes or an async iterable of bytes'))
    }
  })
}

/**
 * Writes each chunk and waits until the socket has taken it before reading the next: at most one
 * chunk is held, and a body that reuses its buffer (AssetBody) is never read over while queued.
 */
async function writeEach(req: ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    await new Promise<void>((resolve, reject) => {
      const closed = (): void => {
        reject(new Error('the connection closed while the body was sent'))
      }
      req.once('close', closed)
      req.write(chunk, (error) => {
        req.off('close', closed)
        if (error) reject(error)
        else resolve()
      })
    })
  }
  req.end()
}

const NO_BODY = new Set([101, 204, 205, 304])

async function readAnswer(res: IncomingMessage): Promise<Response> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  const status = res.statusCode ?? 500
  return new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  })
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<Uint8Array> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
