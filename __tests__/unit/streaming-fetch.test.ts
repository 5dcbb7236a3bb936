// streamingFetch, the fetch of asset uploads, against real local HTTP servers.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from '@jest/globals'
import { streamingFetch } from '../../src/ports/github/streaming-fetch.js'

const CHUNK = 64 * 1024
let server: Server | undefined

afterEach(async () => {
  server?.closeAllConnections()
  const open = server
  if (open) await new Promise((resolve) => open.close(resolve))
  server = undefined
})

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  server = createServer(handler)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * Chunks of CHUNK bytes (the i-th filled with i % 251), counting how many the sender has pulled.
 * Like an asset file's body, every chunk is the same buffer, overwritten by the next read.
 */
function counted(chunks: number): { body: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0
  const buffer = Buffer.alloc(CHUNK)
  return {
    pulled: () => pulled,
    body: {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < chunks; i++) {
          pulled++
          // A file read takes a turn of the event loop too.
          yield await Promise.resolve(buffer.fill(i % 251))
        }
      },
    },
  }
}

const expectedHash = (chunks: number): string => {
  const hash = createHash('sha256')
  for (let i = 0; i < chunks; i++) hash.update(Buffer.alloc(CHUNK, i % 251))
  return hash.digest('hex')
}

test('the body is sent whole and in order, though each chunk reuses one buffer; status, headers and the JSON answer come back as fetch gives them', async () => {
  let received = 0
  const hash = createHash('sha256')
  let seen: IncomingMessage['headers'] = {}
  const url = await serve((req, res) => {
    seen = req.headers
    req.on('data', (chunk: Buffer) => {
      received += chunk.length
      hash.update(chunk)
    })
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-one': 'a' })
      res.end(JSON.stringify({ received, sha256: hash.digest('hex') }))
    })
  })
  const { body } = counted(40)

  const response = await streamingFetch(`${url}/assets?name=a.bin`, {
    method: 'POST',
    headers: { authorization: 'token t', 'content-length': String(40 * CHUNK) },
    body: body as unknown as RequestInit['body'],
  })

  expect(response.status).toBe(201)
  expect(response.headers.get('x-one')).toBe('a')
  expect(await response.json()).toEqual({ received: 40 * CHUNK, sha256: expectedHash(40) })
  expect(seen).toMatchObject({ authorization: 'token t', 'content-length': String(40 * CHUNK) })
})

test('a receiver that stops reading stops the sender: the body is pulled only as the socket drains', async () => {
  // 64 MiB offered; the server reads nothing until the sender has been held for a while.
  let release: () => void = () => undefined
  const url = await serve((req, res) => {
    req.pause()
    release = () => {
      req.resume()
      req.on('end', () => res.end('{}'))
    }
  })
  const { body, pulled } = counted(1024)
  const answer = streamingFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(1024 * CHUNK) },
    body: body as unknown as RequestInit['body'],
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  const heldAt = pulled()
  // What the socket buffers on both sides (a few MiB at most), not the 64 MiB offered.
  expect(heldAt * CHUNK).toBeLessThan(16 * 1024 * 1024)
  release()
  expect((await answer).status).toBe(200)
  expect(pulled()).toBe(1024)
})

test('a refused connection fails as fetch fails: a TypeError whose cause names it', async () => {
  const url = await serve(() => undefined)
  server?.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const failed = await streamingFetch(url, { method: 'POST', body: 'x' }).catch((e: unknown) => e)
  expect(failed).toBeInstanceOf(TypeError)
  expect(((failed as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
})

test('an abort in the middle of the body ends the request with an AbortError', async () => {
  const url = await serve((req) => req.pause())
  const controller = new AbortController()
  const { body } = counted(1024)
  const answer = streamingFetch(url, {
    method: 'POST',
    body: body as unknown as RequestInit['body'],
    signal: controller.signal,
  }).catch((e: unknown) => e)
  setTimeout(() => {
    controller.abort()
  }, 100)
  const failed = await answer
  expect((failed as Error).name).toBe('AbortError')
})

test('a signal aborted before the call sends nothing', async () => {
  let requests = 0
  const url = await serve((_req, res) => {
    requests++
    res.end()
  })
  const failed = await streamingFetch(url, { signal: AbortSignal.abort() }).catch((e: unknown) => e)
  expect((failed as Error).name).toBe('AbortError')
  expect(requests).toBe(0)
})

test('an answer without a body (204) has a null body', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(204)
    res.end()
  })
  const response = await streamingFetch(url, { method: 'DELETE' })
  expect(response.status).toBe(204)
  expect(response.body).toBeNull()
})
