import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryUnauthorized, StepFailure } from '../../src/model/errors.js'
import { digestOf } from '../../src/model/oci.js'
import { CREDENTIALS_REMEDY } from '../../src/model/remedies.js'
import { program } from '../../src/ports/process.js'
import { ImagetoolsRegistry } from '../../src/ports/registry/imagetools.js'

const FIXTURES = join(import.meta.dirname, 'fixtures', 'imagetools')
/** Output recorded from docker buildx 0.13.1 against the stack's registries. */
const recorded = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8')

const FAST = { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 }
const savedPath = process.env.PATH
afterEach(() => {
  process.env.PATH = savedPath
})

interface Answer {
  readonly stdout?: string
  readonly stderr?: string
  readonly exit?: number
}

/**
 * Puts a `docker` on PATH that answers each call with the next of `answers` (the last one
 * again when they run out) and records its arguments, one call per line.
 */
function fakeDocker(...answers: Answer[]): () => string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'))
  answers.forEach((answer, i) => {
    writeFileSync(join(dir, `${i + 1}.stdout`), answer.stdout ?? '')
    writeFileSync(join(dir, `${i + 1}.stderr`), answer.stderr ?? '')
    writeFileSync(join(dir, `${i + 1}.exit`), String(answer.exit ?? 0))
  })
  writeFileSync(
    join(dir, 'docker'),
    [
      '#!/bin/sh',
      `d='${dir}'`,
      'n=$(($(cat "$d/count" 2>/dev/null || echo 0) + 1)); echo $n > "$d/count"',
      `[ -f "$d/$n.exit" ] || n=${answers.length}`,
      'printf "%s\\n" "$*" >> "$d/calls"',
      'cat "$d/$n.stdout"; cat "$d/$n.stderr" >&2; exit $(cat "$d/$n.exit")',
      '',
    ].join('\n'),
  )
  chmodSync(join(dir, 'docker'), 0o755)
  process.env.PATH = `${dir}:${savedPath ?? ''}`
  return () => readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)
}

const REF = '127.0.0.1:5000/e2e/app:source'

describe('manifest', () => {
  test.each([
    ['as buildx 0.13 prints them', ''],
    ['with a newline after them, as some buildx versions print', '\n'],
  ])('the raw bytes, %s, and their digest', async (_name, newline) => {
    const raw = recorded('inspect-raw-index.txt')
    const calls = fakeDocker({ stdout: `${raw}${newline}` })
    const manifest = await new ImagetoolsRegistry(undefined, FAST, program('docker')).manifest(REF)
    expect(manifest?.raw).toBe(raw)
    expect(manifest?.digest).toBe(digestOf(Buffer.from(raw)))
    expect(manifest?.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json')
    expect(calls()).toEqual([`buildx imagetools inspect --raw ${REF}`])
  })

  test('not found is undefined; just written, it is asked for again first', async () => {
    const calls = fakeDocker({ stderr: recorded('inspect-not-found.stderr'), exit: 1 })
    expect(
      await new ImagetoolsRegistry(undefined, FAST, program('docker')).manifest(REF),
    ).toBeUndefined()
    expect(calls()).toHaveLength(1)
    const warnings: string[] = []
    const again = fakeDocker({ stderr: recorded('inspect-not-found.stderr'), exit: 1 })
    await new ImagetoolsRegistry((m) => warnings.push(m), FAST, program('docker')).manifest(REF, {
      expectPresent: true,
    })
    expect(again()).toHaveLength(3)
    expect(warnings).toHaveLength(2)
  })

  test('refused credentials: the message and remedy users see', async () => {
    fakeDocker({ stderr: recorded('inspect-unauthorized.stderr'), exit: 1 })
    const failure = await new ImagetoolsRegistry(undefined, FAST, program('docker'))
      .manifest(REF)
      .catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(RegistryUnauthorized)
    expect((failure as StepFailure).message).toBe(
      `the registry rejected the credentials for ${REF}: ERROR: pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
    )
    expect((failure as StepFailure).remedy).toBe(CREDENTIALS_REMEDY)
  })

  test('a refused connection is retried, then a failure naming the read', async () => {
    const calls = fakeDocker({ stderr: recorded('inspect-refused.stderr'), exit: 1 })
    await expect(
      new ImagetoolsRegistry(undefined, FAST, program('docker')).manifest(REF),
    ).rejects.toThrow(`reading ${REF} from the registry failed: ERROR: failed to do request`)
    expect(calls()).toHaveLength(3)
  })
})

describe('image configs', () => {
  test('of one platform', async () => {
    const calls = fakeDocker({ stdout: recorded('inspect-image-single.json') })
    const config = await new ImagetoolsRegistry(undefined, FAST, program('docker')).imageConfig(REF)
    expect(config).toMatchObject({
      os: 'linux',
      architecture: 'amd64',
      entrypoint: ['/bin/busybox'],
    })
    expect(calls()).toEqual([`buildx imagetools inspect --format {{json .Image}} ${REF}`])
  })

  test('of every platform of an index, keyed as imagetools names them', async () => {
    fakeDocker({ stdout: recorded('inspect-image-index.json') })
    const configs = await new ImagetoolsRegistry(undefined, FAST, program('docker')).indexConfigs(
      REF,
    )
    expect([...configs.keys()]).toEqual(['linux/amd64', 'linux/arm64'])
    expect(configs.get('linux/arm64')?.architecture).toBe('arm64')
  })

  test.each([
    ['imageConfig', 'reading the image config of'],
    ['indexConfigs', 'reading the image configs of'],
  ] as const)('%s fails naming the reference and the cause', async (method, what) => {
    fakeDocker({ stderr: recorded('inspect-not-found.stderr'), exit: 1 })
    await expect(
      new ImagetoolsRegistry(undefined, FAST, program('docker'))[method](REF),
    ).rejects.toThrow(`${what} ${REF} failed: ERROR: `)
  })
})

describe('writes', () => {
  test('copy is imagetools create of the digest under the tag', async () => {
    const calls = fakeDocker({})
    await new ImagetoolsRegistry(undefined, FAST, program('docker')).copy(
      `${REF}@sha256:abc`,
      `${REF}-copy`,
    )
    expect(calls()).toEqual([`buildx imagetools create --tag ${REF}-copy ${REF}@sha256:abc`])
  })

  test('a failed copy names what it wrote', async () => {
    fakeDocker({ stderr: 'boom', exit: 1 })
    await expect(
      new ImagetoolsRegistry(undefined, FAST, program('docker')).copy('a@sha256:1', 'a:b'),
    ).rejects.toThrow('pointing a:b at a@sha256:1 failed: boom')
  })
})
