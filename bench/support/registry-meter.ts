// A metering HTTP proxy in front of the loopback registry: every request with its time, size
// and client (the action, the engine, buildx, BuildKit), so an instrumented release shows which
// registry reads and writes each step makes and whether smoke downloads blobs again.
import { createServer, request as httpRequest, Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import { REGISTRY } from '../../__tests__/support/stack.js'

export interface MeteredRequest {
  /** Epoch milliseconds. */
  readonly startMs: number
  readonly endMs: number
  readonly method: string
  readonly path: string
  readonly status: number
  readonly requestBytes: number
  readonly responseBytes: number
  readonly client: 'action' | 'engine' | 'buildx' | 'other'
  readonly agent: string
}

export interface RegistryMeter {
  /** host:port to use in image references instead of the registry's own. */
  readonly host: string
  readonly requests: MeteredRequest[]
  close(): Promise<void>
}

/** Who sent the request, from its User-Agent (node:http sends none: the action's registry port). */
function clientOf(agent: string): MeteredRequest['client'] {
  if (agent === '' || /^node|undici/i.test(agent)) return 'action'
  if (/buildx|imagetools/i.test(agent)) return 'buildx'
  if (/docker|containerd|buildkit|go-http/i.test(agent)) return 'engine'
  return 'other'
}

export async function startRegistryMeter(target = REGISTRY): Promise<RegistryMeter> {
  const [targetHost = '127.0.0.1', targetPort = '5000'] = target.split(':')
  const requests: MeteredRequest[] = []
  const upstreamAgent = new Agent({ keepAlive: true })
  let self = ''
  const server = createServer((req, res) => {
    const startMs = Date.now()
    let requestBytes = 0
    let responseBytes = 0
    req.on('data', (chunk: Buffer) => (requestBytes += chunk.length))
    const upstream = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
        agent: upstreamAgent,
      },
      (answer) => {
        const headers = { ...answer.headers }
        // Upload locations name the registry; clients must come back through the meter.
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(`//${target}`, `//${self}`)
        res.writeHead(answer.statusCode ?? 502, headers)
        answer.on('data', (chunk: Buffer) => (responseBytes += chunk.length))
        answer.pipe(res)
        res.on('close', () => {
          requests.push({
            startMs,
            endMs: Date.now(),
            method: req.method ?? '',
            path: req.url ?? '',
            status: answer.statusCode ?? 0,
            requestBytes,
            responseBytes,
            client: clientOf(req.headers['user-agent'] ?? ''),
            agent: req.headers['user-agent'] ?? '',
          })
          if (!answer.complete) answer.destroy()
        })
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    host: self,
    requests,
    close: () =>
      new Promise((resolve) => {
        upstreamAgent.destroy()
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

/** What a request is: a manifest or blob read or write, a tag list, an upload. */
export function kindOfRequest(r: Pick<MeteredRequest, 'method' | 'path'>): string {
  const what = /\/manifests\//.test(r.path)
    ? 'manifest'
    : /\/blobs\/uploads/.test(r.path)
      ? 'blob upload'
      : /\/blobs\//.test(r.path)
        ? 'blob'
        : /\/tags\/list/.test(r.path)
          ? 'tag list'
          : r.path === '/v2/'
            ? 'ping'
            : 'other'
  return `${r.method} ${what}`
}
