import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { splitReference } from '../../src/model/image-ref.js'
import {
  apiHost,
  apiPath,
  credentialKeys,
  dockerCredentials,
  isLoopbackRegistry,
} from '../../src/ports/registry/docker-config.js'

const saved = process.env.DOCKER_CONFIG
afterEach(() => {
  if (saved === undefined) delete process.env.DOCKER_CONFIG
  else process.env.DOCKER_CONFIG = saved
})

/** Points DOCKER_CONFIG at a fresh folder holding this config.json text. */
function dockerConfig(text: string | undefined): void {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
  if (text !== undefined) writeFileSync(join(dir, 'config.json'), text)
  process.env.DOCKER_CONFIG = dir
}

describe('Docker Hub names', () => {
  test.each([
    ['nginx:1.27', 'registry-1.docker.io', 'library/nginx'],
    ['acme/app:1', 'registry-1.docker.io', 'acme/app'],
    ['docker.io/library/nginx:1', 'registry-1.docker.io', 'library/nginx'],
    ['index.docker.io/nginx:1', 'registry-1.docker.io', 'library/nginx'],
    ['registry-1.docker.io/acme/app:1', 'registry-1.docker.io', 'acme/app'],
    ['docker.io/nginx:1', 'registry-1.docker.io', 'library/nginx'],
    ['registry-1.docker.io/nginx:1', 'registry-1.docker.io', 'library/nginx'],
    [
      'index.docker.io/library/nginx@sha256:' + 'a'.repeat(64),
      'registry-1.docker.io',
      'library/nginx',
    ],
    ['docker.io/acme/team/app:1', 'registry-1.docker.io', 'acme/team/app'],
    ['registry.example.test/app:1', 'registry.example.test', 'app'],
    ['127.0.0.1:5000/e2e/app:1', '127.0.0.1:5000', 'e2e/app'],
  ])('%s is served by %s as %s', (ref, host, path) => {
    const { image } = splitReference(ref)
    expect(apiHost(image.registry)).toBe(host)
    expect(apiPath(image)).toBe(path)
  })

  test.each([['docker.io'], ['index.docker.io'], ['registry-1.docker.io']])(
    "%s shares Docker Hub's credential keys, Docker's own first",
    (registry) => {
      expect(credentialKeys(registry)).toEqual([
        'https://index.docker.io/v1/',
        'index.docker.io',
        'docker.io',
      ])
    },
  )

  const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
  const HUB_NAMES = ['docker.io', 'index.docker.io', 'registry-1.docker.io']
  test.each(HUB_KEYS.flatMap((key) => HUB_NAMES.map((name) => [key, name])))(
    'credentials stored under %s are found for %s',
    async (key, registry) => {
      dockerConfig(JSON.stringify({ auths: { [key]: { auth: 'dXNlcjpwdw==' } } }))
      expect(await dockerCredentials(registry)).toEqual({ kind: 'basic', auth: 'dXNlcjpwdw==' })
    },
  )

  test("docker login's own key wins over the others, and its identity token over its auth", async () => {
    dockerConfig(
      JSON.stringify({
        auths: {
          'docker.io': { auth: 'b3RoZXI6cHc=' },
          'https://index.docker.io/v1/': { auth: 'dXNlcjo=', identitytoken: 'hub-token' },
        },
      }),
    )
    expect(await dockerCredentials('registry-1.docker.io')).toEqual({
      kind: 'identity-token',
      token: 'hub-token',
    })
  })

  test.each(HUB_NAMES)(
    'a credential store is asked for %s under https://index.docker.io/v1/, as docker login stored it',
    async (registry) => {
      const asked = helper('hub', '{"Username":"user","Secret":"pw"}')
      dockerConfig(JSON.stringify({ credsStore: 'hub' }))
      expect(await dockerCredentials(registry)).toEqual({
        kind: 'basic',
        auth: Buffer.from('user:pw').toString('base64'),
      })
      expect(asked()).toEqual(['https://index.docker.io/v1/'])
    },
  )

  test('a credHelpers entry under https://index.docker.io/v1/ serves every Docker Hub name', async () => {
    const asked = helper('hubonly', '{"Username":"user","Secret":"pw"}')
    dockerConfig(JSON.stringify({ credHelpers: { 'https://index.docker.io/v1/': 'hubonly' } }))
    for (const registry of HUB_NAMES) {
      expect(await dockerCredentials(registry)).toMatchObject({ kind: 'basic' })
    }
    expect(asked()).toEqual(HUB_NAMES.map(() => 'https://index.docker.io/v1/'))
  })
})

/** A docker-credential-NAME on PATH answering `get` with `answer`; lists the server URLs asked. */
function helper(name: string, answer: string): () => string[] {
  const bin = mkdtempSync(join(tmpdir(), 'cred-helper-'))
  const log = join(bin, 'asked')
  writeFileSync(log, '')
  const script = join(bin, `docker-credential-${name}`)
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = get ] || exit 3\nprintf '%s\\n' "$(cat)" >> '${log}'\nprintf '%s' '${answer}'\n`,
  )
  chmodSync(script, 0o755)
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`
  return () => readFileSync(log, 'utf8').split('\n').filter(Boolean)
}

test.each([
  [
    'registry.example.test',
    ['registry.example.test', 'https://registry.example.test', 'http://registry.example.test'],
  ],
  ['10.0.0.1:5000', ['10.0.0.1:5000', 'https://10.0.0.1:5000', 'http://10.0.0.1:5000']],
])('the credential keys of %s', (registry, keys) => {
  expect(credentialKeys(registry)).toEqual(keys)
})

test.each([
  ['localhost:5000', true],
  ['127.0.0.1:5000', true],
  ['[::1]:5000', true],
  ['10.0.0.1:5000', false],
  ['registry.example.test', false],
])('%s is a loopback registry (plain HTTP): %s', (registry, loopback) => {
  expect(isLoopbackRegistry(registry)).toBe(loopback)
})

describe('dockerCredentials', () => {
  test.each([
    ['no config.json', undefined],
    ['a config.json that is not JSON', '{'],
    ['no entry for the registry', JSON.stringify({ auths: { 'other.test': { auth: 'eA==' } } })],
    ['an empty entry (docker login with a store)', JSON.stringify({ auths: { 'r.test': {} } })],
  ])('%s: none', async (_name, text) => {
    dockerConfig(text)
    expect(await dockerCredentials('r.test')).toBeUndefined()
  })

  test('an identity token comes before the auth docker login keeps beside it', async () => {
    dockerConfig(
      JSON.stringify({ auths: { 'r.test': { auth: 'dXNlcjo=', identitytoken: 'tok' } } }),
    )
    expect(await dockerCredentials('r.test')).toEqual({ kind: 'identity-token', token: 'tok' })
  })

  test('a helper that is not installed leaves the registry to Docker', async () => {
    dockerConfig(JSON.stringify({ credHelpers: { 'r.test': 'not-installed-anywhere' } }))
    await expect(dockerCredentials('r.test')).rejects.toThrow(
      /docker-credential-not-installed-anywhere failed for r\.test/,
    )
  })
})
