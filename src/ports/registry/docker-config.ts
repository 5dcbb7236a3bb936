import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ImageRepository } from '../../model/image-ref.js'
import { runCommand, tail } from '../process.js'
import { HttpUnavailable } from './errors.js'

/** The credentials Docker holds for a registry. */
export type Credentials =
  /** base64 of user:password, as config.json's auth field holds it. */
  | { readonly kind: 'basic'; readonly auth: string }
  /** An OAuth2 refresh token (docker login against a registry that hands one out). */
  | { readonly kind: 'identity-token'; readonly token: string }

export interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>
  credsStore?: string
  credHelpers?: Record<string, string>
  /** The context the CLI uses when DOCKER_HOST and DOCKER_CONTEXT are not set. */
  currentContext?: unknown
  /** Plugin folders the CLI searches after the config folder's own cli-plugins. */
  cliPluginsExtraDirs?: unknown
}

/** The names Docker Hub goes by; Docker treats them as one registry. */
const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io']

/** Where Docker keeps its client configuration (docker login, docker/login-action). */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker')
}

/** config.json, read at once (a few settings decide how the CLI is reached); none: undefined. */
export function dockerConfigNow(env: NodeJS.ProcessEnv = process.env): DockerConfig | undefined {
  try {
    return JSON.parse(
      readFileSync(join(dockerConfigDir(env), 'config.json'), 'utf8'),
    ) as DockerConfig
  } catch {
    return undefined
  }
}

/** Loopback registries speak plain HTTP, as Docker and buildx assume; everything else HTTPS. */
export function isLoopbackRegistry(registry: string): boolean {
  return /^(localhost|127\.|\[::1\])/.test(registry)
}

/** The host that answers a registry's HTTP API: Docker Hub's API is not at docker.io. */
export function apiHost(registry: string): string {
  return DOCKER_HUB.includes(registry) ? 'registry-1.docker.io' : registry
}

/** A repository's path in the API: Docker Hub keeps single-name images under library/. */
export function apiPath(image: ImageRepository): string {
  return DOCKER_HUB.includes(image.registry) && !image.path.includes('/')
    ? `library/${image.path}`
    : image.path
}

/** The config.json keys a registry's credentials may be stored under, Docker's own first. */
export function credentialKeys(registry: string): string[] {
  return DOCKER_HUB.includes(registry)
    ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
    : [registry, `https://${registry}`, `http://${registry}`]
}

async function readDockerConfig(): Promise<DockerConfig | undefined> {
  try {
    return JSON.parse(
      await readFile(join(dockerConfigDir(), 'config.json'), 'utf8'),
    ) as DockerConfig
  } catch {
    return undefined
  }
}

/**
 * Asks `docker-credential-<helper> get` for a server's credentials, as Docker does: the server
 * URL on stdin, {"Username", "Secret"} on stdout; the user <token> marks an identity token.
 */
async function helperCredentials(
  helper: string,
  serverUrl: string,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`
  const result = await runCommand(program, ['get'], { input: serverUrl })
  if (result.exitCode !== 0) {
    if (/credentials not found/i.test(`${result.stdout}\n${result.stderr}`)) return undefined
    // Docker's own client meets the same helper: let it report the failure its way.
    throw new HttpUnavailable(
      `${program} failed for ${serverUrl}: ${tail(result.stderr || result.stdout, 2)}`,
    )
  }
  let answer: { Username?: unknown; Secret?: unknown }
  try {
    answer = JSON.parse(result.stdout) as typeof answer
  } catch {
    throw new HttpUnavailable(`${program} answered something other than JSON for ${serverUrl}`)
  }
  const username = typeof answer.Username === 'string' ? answer.Username : ''
  const secret = typeof answer.Secret === 'string' ? answer.Secret : ''
  if (secret === '') return undefined
  if (username === '<token>') return { kind: 'identity-token', token: secret }
  return { kind: 'basic', auth: Buffer.from(`${username}:${secret}`).toString('base64') }
}

/**
 * The credentials Docker holds for a registry: config.json's auths first (an identity token
 * before a password), then the registry's credential helper, then the default store.
 */
export async function dockerCredentials(registry: string): Promise<Credentials | undefined> {
  const config = await readDockerConfig()
  if (!config) return undefined
  const keys = credentialKeys(registry)
  for (const key of keys) {
    const entry = config.auths?.[key]
    // docker login keeps "user:" as auth beside an identity token: the token is the secret.
    if (entry?.identitytoken) return { kind: 'identity-token', token: entry.identitytoken }
    if (entry?.auth) return { kind: 'basic', auth: entry.auth }
  }
  const helperKey = keys.find((key) => config.credHelpers?.[key])
  const helper = helperKey !== undefined ? config.credHelpers?.[helperKey] : config.credsStore
  if (!helper) return undefined
  return helperCredentials(helper, helperKey ?? keys[0] ?? registry)
}
