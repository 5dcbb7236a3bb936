import { REGISTRY } from './stack.js'

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/** The tags of a repository in the loopback registry ([] when the repository does not exist). */
export async function listTags(path: string): Promise<string[]> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/tags/list`)
  if (response.status === 404) return []
  const body = (await response.json()) as { tags: string[] | null }
  return [...(body.tags ?? [])].sort()
}

/** The digest a tag or digest reference resolves to, or undefined. */
export async function resolveDigest(path: string, reference: string): Promise<string | undefined> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { accept: ACCEPT },
  })
  return response.ok ? (response.headers.get('docker-content-digest') ?? undefined) : undefined
}

export async function getManifest(
  path: string,
  reference: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${reference}`, {
    headers: { accept: ACCEPT },
  })
  if (!response.ok) throw new Error(`GET manifest ${path}:${reference}: ${response.status}`)
  return (await response.json()) as Record<string, unknown>
}

/** Stores a hand-made manifest under a tag; returns its digest. */
export async function putManifest(
  path: string,
  tag: string,
  manifest: Record<string, unknown>,
): Promise<string> {
  const body = JSON.stringify(manifest)
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': String(manifest.mediaType) },
    body,
  })
  if (!response.ok)
    throw new Error(`PUT manifest ${path}:${tag}: ${response.status} ${await response.text()}`)
  return response.headers.get('docker-content-digest') ?? ''
}

export async function deleteManifest(path: string, digest: string): Promise<void> {
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${digest}`, {
    method: 'DELETE',
  })
  if (!response.ok) throw new Error(`DELETE manifest ${path}@${digest}: ${response.status}`)
}
