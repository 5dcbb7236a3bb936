import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { pipeline } from 'node:stream'
import { REGISTRY } from './stack.js'

/** A fault for requests to the registry: which ones, and how they fail. */
export interface RegistryFault {
  readonly method?: string
  /** Tested on the request path, e.g. /manifests\/latest$/. */
  readonly path?: RegExp
  /** Answer this status instead of forwarding (with a registry-style error body). */
  readonly status?: number
  /** The error code in that body; UNAVAILABLE unless given. */
  readonly code?: string
  /** Drop the connection without an answer. */
  readonly hangUp?: boolean
  /** Forward, let it take effect, then lose the answer (as a 502 from a load balancer would). */
  readonly afterEffect?: boolean
  /** How many matching requests fail; default 1. */
  readonly times?: number
  /** Hold the request this long before handling it. */
  readonly delayMs?: number
  /** Hold the request until this settles (a test forcing an interleaving lets it go). */
  readonly hold?: Promise<unknown>
  /** Called when a request matches (to act at that very moment, e.g. cancel the job). */
  readonly onMatch?: () => void
  /** Forward, then serve this rewrite of the answer's body, with its digest header fixed. */
  readonly rewrite?: (body: string) => string
}

/** One request the proxy saw; `bodyDigest` is the sha256 of what a manifest PUT sent. */
export interface ProxyLogEntry {
  readonly method: string
  readonly path: string
  status: number
  readonly fault: boolean
  bodyDigest?: string
}

export interface RegistryProxy {
  /** host:port to use in image references instead of the registry's own. */
  readonly host: string
  readonly log: ProxyLogEntry[]
  fail(fault: RegistryFault): void
  /** Calls `listener` with each request as it arrives, before it is handled; returns its removal. */
  onRequest(listener: (method: string, path: string) => void): () => void
  clear(): void
  close(): Promise<void>
}

/**
 * A small HTTP proxy in front of the real loopback registry that injects faults: the registry
 * path of the fault-injection suite. Everything else is forwarded byte for byte.
 */
export async function startRegistryProxy(target = REGISTRY): Promise<RegistryProxy> {
  const [targetHost = '127.0.0.1', targetPort = '5000'] = target.split(':')
  const faults: { fault: RegistryFault; left: number }[] = []
  const log: RegistryProxy['log'] = []
  const listeners: ((method: string, path: string) => void)[] = []

  const matching = (req: IncomingMessage): RegistryFault | undefined => {
    const entry = faults.find(
      (f) =>
        f.left > 0 &&
        (f.fault.method === undefined || f.fault.method === req.method) &&
        (f.fault.path === undefined || f.fault.path.test(req.url ?? '')),
    )
    if (entry) entry.left--
    return entry?.fault
  }

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    loseAnswer: boolean,
    rewrite?: (body: string) => string,
  ): void => {
    const upstream = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
      },
      (answer) => {
        if (loseAnswer) {
          answer.resume()
          answer.on('end', () => {
            res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n')
          })
          return
        }
        if (rewrite) {
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () => {
            const body = Buffer.from(rewrite(Buffer.concat(chunks).toString()))
            const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
            res.writeHead(answer.statusCode ?? 502, {
              ...answer.headers,
              'content-length': String(body.length),
              'docker-content-digest': digest,
            })
            res.end(body)
          })
          return
        }
        // Location headers name the registry; clients must come back through the proxy.
        const headers = { ...answer.headers }
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(`//${target}`, `//${proxyHost}`)
        res.writeHead(answer.statusCode ?? 502, headers)
        // A client that hangs up early (one that read only a blob's first bytes) ends the
        // upstream answer too, so no registry connection is left paused.
        pipeline(answer, res, () => undefined)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }

  const server = createServer((req, res) => {
    for (const listener of listeners) listener(req.method ?? '', req.url ?? '')
    const fault = matching(req)
    fault?.onMatch?.()
    if (fault?.hold !== undefined) {
      const go = (): void => {
        handle(req, res, { ...fault, hold: undefined })
      }
      fault.hold.then(go, go)
      return
    }
    if (fault?.delayMs !== undefined) {
      // A client that gives up during the delay (a cancelled run aborts its request in flight)
      // never reaches the registry: the write did not happen, as with a registry that never
      // got the whole request.
      let gone = false
      res.on('close', () => {
        gone = !res.writableFinished
      })
      setTimeout(() => {
        if (gone)
          log.push({ method: req.method ?? '', path: req.url ?? '', status: 0, fault: true })
        else handle(req, res, { ...fault, delayMs: undefined })
      }, fault.delayMs)
      return
    }
    handle(req, res, fault)
  })

  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    fault: RegistryFault | undefined,
  ): void => {
    const entry: ProxyLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      fault: fault !== undefined,
    }
    log.push(entry)
    if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? '')) {
      // What the client asked to store: the digest of the manifest it sent.
      const hash = createHash('sha256')
      req.on('data', (chunk: Buffer) => hash.update(chunk))
      req.on('end', () => {
        entry.bodyDigest = `sha256:${hash.digest('hex')}`
      })
    }
    res.on('finish', () => {
      entry.status = res.statusCode
    })
    if (fault?.hangUp) {
      req.socket.destroy()
      return
    }
    if (fault?.status !== undefined && !fault.afterEffect) {
      req.resume()
      const body = JSON.stringify({
        errors: [{ code: fault.code ?? 'UNAVAILABLE', message: `injected ${fault.status}` }],
      })
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.status === 429 ? { 'retry-after': '0' } : {}),
      })
      res.end(body)
      return
    }
    forward(req, res, fault?.afterEffect === true, fault?.rewrite)
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxyHost = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    host: proxyHost,
    log,
    fail: (fault) => faults.push({ fault, left: fault.times ?? 1 }),
    onRequest: (listener) => {
      listeners.push(listener)
      return () => {
        listeners.splice(listeners.indexOf(listener), 1)
      }
    },
    clear: () => {
      faults.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
