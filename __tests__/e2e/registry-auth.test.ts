import { jest } from '@jest/globals'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STACK, docker, freshDockerConfig } from '../support/engine-stack.js'
import { authRegistry } from '../support/fixtures.js'
import { releaseWorld, type ReleaseWorld } from '../support/release-world.js'
import { requireStack } from '../support/stack.js'

jest.setTimeout(300_000)

let registry: ReturnType<typeof authRegistry>
beforeAll(async () => {
  await requireStack()
  registry = authRegistry()
})

const worlds: ReleaseWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.github.close()
})

async function world(label: string): Promise<ReleaseWorld> {
  const path = `e2e/${label}-${Date.now().toString(36)}`
  const w = await releaseWorld(label, {}, { name: `${registry.host}/${path}`, path })
  worlds.push(w)
  return w
}

/** An empty Docker config of its own, so the machine's logins never leak into a test. */
function dockerConfig(): string {
  return freshDockerConfig()
}

function login(config: string, password: string): void {
  docker(['login', registry.host, '--username', registry.user, '--password-stdin'], {
    input: password,
    env: { DOCKER_CONFIG: config },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

const digestOf = (config: string, ref: string): string =>
  (
    JSON.parse(
      docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'], {
        encoding: 'utf8',
        env: { DOCKER_CONFIG: config },
      }),
    ) as { digest: string }
  ).digest

test('with registry-username and registry-password, the TLS registry behind htpasswd gets the release; the credentials are logged out and never shown', async () => {
  const w = await world('auth-inputs')
  const config = dockerConfig()
  const run = await w.run(
    {
      version: '1.0.0',
      'registry-username': registry.user,
      'registry-password': registry.password,
      'smoke-run': 'true',
    },
    {
      env: { DOCKER_CONFIG: config, NODE_EXTRA_CA_CERTS: registry.ca },
      secrets: [registry.password],
    },
  )
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toContain(`Logged in to ${registry.host} as ${registry.user}`)
  const saved = existsSync(join(config, 'config.json'))
    ? readFileSync(join(config, 'config.json'), 'utf8')
    : '{}'
  expect(saved).not.toContain(registry.host)
  const check = dockerConfig()
  login(check, registry.password)
  for (const tag of ['1.0.0', 'latest'])
    expect(digestOf(check, `${w.image.name}:${tag}`)).toBe(run.outputs.digest)
})

test('with the credentials docker/login-action left in the Docker config', async () => {
  const w = await world('auth-config')
  const config = dockerConfig()
  login(config, registry.password)
  const run = await w.run(
    { version: '1.0.0' },
    { env: { DOCKER_CONFIG: config, NODE_EXTRA_CA_CERTS: registry.ca } },
  )
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  expect(digestOf(config, `${w.image.name}:1.0.0`)).toBe(run.outputs.digest)
})

test('with the credentials in a credential helper (credsStore): the registry is read and written over HTTP with them', async () => {
  const w = await world('auth-helper')
  // A credential helper as docker-credential-ecr-login or a desktop keychain would be.
  const bin = mkdtempSync(join(tmpdir(), 'cred-helper-'))
  const helper = join(bin, 'docker-credential-mrtest')
  writeFileSync(
    helper,
    `#!/bin/sh\n[ "$1" = get ] || exit 0\nprintf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$(cat)" '${registry.user}' '${registry.password}'\n`,
  )
  chmodSync(helper, 0o755)
  const config = dockerConfig()
  writeFileSync(join(config, 'config.json'), JSON.stringify({ credsStore: 'mrtest' }))
  const run = await w.run(
    { version: '1.0.0', 'smoke-run': 'true' },
    {
      env: {
        DOCKER_CONFIG: config,
        NODE_EXTRA_CA_CERTS: registry.ca,
        PATH: `${bin}:${STACK.env.PATH}`,
        RUNNER_DEBUG: '1',
      },
      secrets: [registry.password],
    },
  )
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  // Without the helper's password every HTTP read would be refused: no fallback means it was used.
  expect(run.stdout).not.toMatch(/using docker buildx imagetools/)
  const check = dockerConfig()
  login(check, registry.password)
  for (const tag of ['1.0.0', 'latest'])
    expect(digestOf(check, `${w.image.name}:${tag}`)).toBe(run.outputs.digest)
})

test.each<[string, Record<string, string>, RegExp]>([
  [
    'a wrong password',
    { 'registry-username': 'ci', 'registry-password': 'not-the-password' },
    /Step 'preflight' failed: the registry .* rejected the credentials of registry-username 'ci'/,
  ],
  [
    'no credentials at all',
    {},
    /Step 'preflight' failed: the registry rejected the credentials for /,
  ],
])(
  '%s fails in preflight, before building, with a clear message',
  async (_name, inputs, message) => {
    const w = await world('auth-wrong')
    const run = await w.run(
      { version: '1.0.0', ...inputs },
      { env: { DOCKER_CONFIG: dockerConfig() }, secrets: ['not-the-password'] },
    )
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(message)
    expect(run.stdout).not.toContain('buildx build')
  },
)
