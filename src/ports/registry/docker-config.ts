import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ImageRepository } from '../../model/image-ref.js'
import { HttpUnavailable } from './errors.js'

/** The credentials Docker holds for a registry. */
export interface Credentials {
  readonly kind: 'basic'
  /** base64 of user:password, as config.json's auth field holds it. */
  readonly auth: string
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** The names Docker Hub goes by; Docker treats them as one registry. */
const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io']

/** Where Docker keeps its client configuration (docker login, docker/login-action). */
export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
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
 * The credentials Docker stored for a registry; undefined when there are none, and
 * HttpUnavailable when a credential helper or an identity token holds them.
 */
export async function dockerCredentials(registry: string): Promise<Credentials | undefined> {
  const config = await readDockerConfig()
  if (!config) return undefined
  const keys = credentialKeys(registry)
  for (const key of keys) {
    const entry = config.auths?.[key]
    if (entry?.auth) return { kind: 'basic', auth: entry.auth }
    if (entry?.identitytoken) throw new HttpUnavailable(`${registry}: an identity token is stored`)
  }
  if (keys.some((key) => config.credHelpers?.[key]) || config.credsStore) {
    throw new HttpUnavailable(`${registry}: a credential helper holds the credentials`)
  }
  return undefined
}
