// Grammar from the distribution reference spec: a repository is [domain/]path, lowercase path.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/
const TAG = /^[\w][\w.-]{0,127}$/

export const ACCEPTED_IMAGE =
  'use a repository without tag or digest, for example ghcr.io/acme/app or 127.0.0.1:5000/acme/app, one per line for several'

/** A validated image repository such as ghcr.io/acme/app (no tag, no digest). */
export interface ImageRepository {
  /** The full name as given, e.g. ghcr.io/acme/app. */
  readonly name: string
  /** The registry host (with port), or docker.io when none is given. */
  readonly registry: string
  /** The repository path inside the registry. */
  readonly path: string
}

function isDomain(component: string): boolean {
  if (component === 'localhost') return true
  if (!component.includes('.') && !component.includes(':')) return false
  const [host = '', port, ...rest] = component.split(':')
  if (rest.length > 0) return false
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return false
  return host.split('.').every((label) => DOMAIN_LABEL.test(label))
}

/** Parses a repository reference, or returns why it is not one. */
export function parseImageRepository(text: string): ImageRepository | string {
  const name = text.trim()
  if (name === '') return 'the image is empty'
  if (name.includes('@')) return 'it holds a digest (@sha256:…); give the repository only'
  if (name.length > 255) return 'it is longer than 255 characters'
  const components = name.split('/')
  const first = components[0] ?? ''
  const hasDomain = components.length > 1 && isDomain(first)
  const pathComponents = hasDomain ? components.slice(1) : components
  const last = pathComponents[pathComponents.length - 1] ?? ''
  if (last.includes(':')) {
    return `it holds a tag (':${last.split(':')[1] ?? ''}'); give the repository only, the action chooses the tags`
  }
  for (const component of pathComponents) {
    if (component !== component.toLowerCase()) {
      return `'${component}' has uppercase letters; registries accept lowercase repository names only`
    }
    if (!PATH_COMPONENT.test(component))
      return `'${component}' is not a valid repository path component`
  }
  const registry = hasDomain ? first : 'docker.io'
  let path = pathComponents.join('/')
  if (!hasDomain && pathComponents.length === 1) path = `library/${path}`
  return { name, registry, path }
}

/**
 * A repository as a user writes it, lowercased first as registries need (ghcr.io/Acme/App is
 * ghcr.io/acme/app); or why it is not one even then.
 */
export function parseImageName(
  text: string,
): { readonly repository: ImageRepository; readonly lowered: boolean } | string {
  const given = text.trim()
  const lower = given.toLowerCase()
  const repository = parseImageRepository(lower)
  if (typeof repository === 'string')
    return lower === given ? repository : `${repository} (after lowercasing)`
  return { repository, lowered: lower !== given }
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

export function tagRef(image: ImageRepository, tag: string): string {
  return `${image.name}:${tag}`
}

export function digestRef(image: ImageRepository, digest: string): string {
  return `${image.name}@${digest}`
}

/** A reference as the release writes them (name:tag or name@digest), split for the HTTP API. */
export function splitReference(ref: string): { image: ImageRepository; reference: string } {
  const at = ref.indexOf('@')
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  const [name, reference] =
    at >= 0
      ? [ref.slice(0, at), ref.slice(at + 1)]
      : colon > slash
        ? [ref.slice(0, colon), ref.slice(colon + 1)]
        : [ref, 'latest']
  const image = parseImageRepository(name)
  if (typeof image === 'string') throw new Error(`not an image reference: ${ref} (${image})`)
  return { image, reference }
}
