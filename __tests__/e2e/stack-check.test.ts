import { createServer } from 'node:net'
import { jest } from '@jest/globals'
import { requireStack } from '../support/stack.js'

jest.setTimeout(60_000)

/** A loopback port nothing listens on: bound by the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
  if (address === null || typeof address === 'string') throw new Error('no TCP port was bound')
  return address.port
}

test('requireStack passes on the stack that scripts/setup-stack.sh set up', async () => {
  await expect(requireStack()).resolves.toBeUndefined()
})

test('requireStack fails, naming the missing registry and the fix, when no registry answers on the checked address', async () => {
  const port = await closedPort()
  const saved = process.env.STACK_REGISTRY_ADDR
  process.env.STACK_REGISTRY_ADDR = `127.0.0.1:${port}`
  try {
    await expect(requireStack()).rejects.toThrow(
      `The end-to-end stack is missing: no registry answers on http://127.0.0.1:${port}/v2/. Run scripts/setup-stack.sh (as root) first.`,
    )
  } finally {
    if (saved === undefined) delete process.env.STACK_REGISTRY_ADDR
    else process.env.STACK_REGISTRY_ADDR = saved
  }
})
