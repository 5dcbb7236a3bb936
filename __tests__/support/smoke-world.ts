import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { seconds } from '../../src/model/duration.js'
import type { SmokeSettings } from '../../src/model/inputs.js'
import { parsePlatform, type Platform } from '../../src/model/platform.js'

export const platform = (text: string): Platform => {
  const parsed = parsePlatform(text)
  if (typeof parsed === 'string') throw new Error(parsed)
  return parsed
}

/** Smoke settings with nothing to run, a 60 s timeout, and the changes given. */
export function smokeSettings(changes: Partial<SmokeSettings> = {}): SmokeSettings {
  return {
    run: [],
    http: undefined,
    env: [],
    timeout: { fallback: seconds(60), overrides: new Map() },
    ...changes,
  }
}

export interface TestServer {
  readonly port: number
  /** How many requests it has answered. */
  readonly requests: number
  close(): Promise<void>
}

/** A loopback HTTP server that gives each request the next answer; the last one repeats. */
export async function httpServer(
  answers: readonly (readonly [number, string])[],
): Promise<TestServer> {
  let served = 0
  const server = createServer((_req, res) => {
    const [status, body] = answers[Math.min(served, answers.length - 1)] ?? [200, '']
    served++
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return served
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

/** A loopback port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = await httpServer([[200, '']])
  await server.close()
  return server.port
}

const aTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Waits, a turn of the event loop at a time, until the condition holds (at most 5 s). */
export async function until(condition: () => boolean): Promise<void> {
  const giveUp = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error('the condition never held')
    await aTurn()
  }
}

/** Lets other work run for some turns of the event loop. */
export async function someTurns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await aTurn()
}

/** The first bytes of an ELF binary built for a machine (e_machine), little-endian. */
export function elfHead(machine: number): Buffer {
  const head = Buffer.alloc(64)
  head.writeUInt32BE(0x7f454c46, 0)
  head[4] = 2
  head[5] = 1
  head.writeUInt16LE(machine, 18)
  return head
}

export const X86_64 = 62
export const AARCH64 = 183
export const ARM = 40
