import { jest } from '@jest/globals'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StepFailure } from '../../src/model/errors.js'
import { inspectBinary } from '../../src/smoke/elf.js'
import { HttpRegistry } from '../../src/ports/registry/http.js'
import { ImagetoolsRegistry } from '../../src/ports/registry/imagetools.js'
import { RoutedRegistry } from '../../src/ports/registry/routed.js'
import { docker } from '../support/engine-stack.js'
import { authRegistry, pushExampleImage } from '../support/fixtures.js'
import { listTags } from '../support/registry-http.js'
import { requireStack, uniqueImage } from '../support/stack.js'

jest.setTimeout(300_000)

const FAST = { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 50 }

/** Runs with DOCKER_CONFIG pointing at `config`, as the action does under docker/login-action. */
async function withDockerConfig<T>(config: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.DOCKER_CONFIG
  process.env.DOCKER_CONFIG = config
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG
    else process.env.DOCKER_CONFIG = saved
  }
}

/** Builds the example image for two platforms and pushes it under `ref` (no attestations). */
function pushExample(ref: string, config?: string): void {
  pushExampleImage([ref], { provenance: false, env: config ? { DOCKER_CONFIG: config } : {} })
}

function login(config: string, host: string, user: string, password: string): void {
  docker(['login', host, '--username', user, '--password-stdin'], {
    input: password,
    env: { DOCKER_CONFIG: config },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** The digest docker itself reads (Jest's process.env does not reach child processes). */
function digestVia(config: string, ref: string): string {
  const out = docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'], {
    env: { DOCKER_CONFIG: config },
  })
  return (JSON.parse(out) as { digest: string }).digest
}

const imagetools = new ImagetoolsRegistry(() => undefined, FAST)
/** The registry port as the action composes it; `debug` records any fallback to imagetools. */
const http = (debug: string[] = []): RoutedRegistry =>
  new RoutedRegistry(new HttpRegistry(() => undefined, FAST), imagetools, (m) => debug.push(m))

beforeAll(requireStack)

describe('the loopback registry over HTTP reads and writes what imagetools does', () => {
  const image = uniqueImage('registry-http')
  beforeAll(() => {
    pushExample(`${image.name}:source`)
  })

  test('a manifest: the same bytes and digest as imagetools reads', async () => {
    const debug: string[] = []
    const [overHttp, viaDocker] = await Promise.all([
      http(debug).manifest(`${image.name}:source`),
      imagetools.manifest(`${image.name}:source`),
    ])
    expect(overHttp?.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(overHttp?.digest).toBe(viaDocker?.digest)
    expect(overHttp?.raw).toBe(viaDocker?.raw)
    expect(overHttp?.mediaType).toBe(viaDocker?.mediaType)
    // It spoke HTTP: no fallback to imagetools was logged.
    expect(debug).toEqual([])
  })

  test('a missing tag is undefined, not an error', async () => {
    expect(await http().manifest(`${image.name}:no-such-tag`)).toBeUndefined()
  })

  test('the image configs of every platform, and of one platform, match imagetools', async () => {
    const index = await imagetools.manifest(`${image.name}:source`)
    const ref = `${image.name}@${index?.digest ?? ''}`
    const [overHttp, viaDocker] = await Promise.all([
      http().indexConfigs(ref),
      imagetools.indexConfigs(ref),
    ])
    expect([...overHttp.keys()].sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect([...overHttp.keys()].sort()).toEqual([...viaDocker.keys()].sort())
    for (const [platform, config] of overHttp) {
      const other = viaDocker.get(platform)
      expect(config.architecture).toBe(other?.architecture)
      expect(config.entrypoint).toEqual(other?.entrypoint)
      expect(config.cmd).toEqual(other?.cmd)
    }
    const child = (index?.json.manifests as { digest: string }[])[0]?.digest ?? ''
    const single = await http().imageConfig(`${image.name}@${child}`)
    expect(single.entrypoint).toEqual(['/bin/busybox'])
    expect(single).toEqual(await imagetools.imageConfig(`${image.name}@${child}`))
  })

  test("each platform's entrypoint binary is read from its layers, without a container", async () => {
    const index = await http().manifest(`${image.name}:source`)
    const children = index?.json.manifests as {
      digest: string
      platform: { architecture: string }
    }[]
    expect(children.map((c) => c.platform.architecture).sort()).toEqual(['amd64', 'arm64'])
    for (const child of children) {
      const head = await http().fileHead(`${image.name}@${child.digest}`, '/bin/busybox')
      expect(head).toBeDefined()
      expect(inspectBinary(head ?? Buffer.alloc(0))).toMatchObject({
        kind: 'elf',
        architecture: child.platform.architecture,
      })
      // A path that is not in the image: left to the engine.
      expect(await http().fileHead(`${image.name}@${child.digest}`, '/bin/nope')).toBeUndefined()
    }
  })

  test('copying a digest to a tag keeps the digest, as imagetools create does', async () => {
    const source = await http().manifest(`${image.name}:source`)
    await http().copy(`${image.name}@${source?.digest ?? ''}`, `${image.name}:copied`)
    expect(await listTags(image.path)).toContain('copied')
    const back = await imagetools.manifest(`${image.name}:copied`)
    expect(back?.digest).toBe(source?.digest)
  })

  test('copying a digest the registry does not hold fails and writes nothing', async () => {
    const missing = `sha256:${'0'.repeat(64)}`
    await expect(
      http().copy(`${image.name}@${missing}`, `${image.name}:never-written`),
    ).rejects.toThrow(StepFailure)
    expect(await listTags(image.path)).not.toContain('never-written')
  })
})

describe('the TLS registry behind htpasswd', () => {
  const auth = authRegistry()
  const path = `e2e/registry-http-auth-${Date.now().toString(36)}`
  const name = `${auth.host}/${path}`
  const loggedIn = mkdtempSync(join(tmpdir(), 'docker-config-'))
  beforeAll(() => {
    login(loggedIn, auth.host, auth.user, auth.password)
    pushExample(`${name}:source`, loggedIn)
  })

  test("with docker login's credentials, over HTTPS with Docker's CA for the registry", async () => {
    const debug: string[] = []
    await withDockerConfig(loggedIn, async () => {
      const source = await http(debug).manifest(`${name}:source`)
      expect(source?.digest).toMatch(/^sha256:/)
      await http(debug).copy(`${name}@${source?.digest ?? ''}`, `${name}:copied`)
      expect(digestVia(loggedIn, `${name}:copied`)).toBe(source?.digest)
    })
    expect(debug).toEqual([])
  })

  test('without credentials it fails, naming the reference and the fix', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'docker-config-'))
    await withDockerConfig(empty, async () => {
      const failure = await http()
        .manifest(`${name}:source`)
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(failure).toBeInstanceOf(StepFailure)
      expect((failure as StepFailure).message).toContain(
        `the registry rejected the credentials for ${name}:source`,
      )
      expect((failure as StepFailure).remedy).toMatch(/^log in before this step/)
    })
  })
})
