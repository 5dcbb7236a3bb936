import { formatPlatform, type Platform } from '../model/platform.js'
import type {
  Annotation,
  HostEntry,
  KeyValue,
  NamedContext,
  SshSource,
  Ulimit,
} from '../model/inputs.js'

/** Where a build's result goes. */
export type BuildOutput =
  /**
   * Write an OCI image layout to a folder (the docker driver cannot push by digest); the
   * registry client then pushes it by digest, so no tag exists before promotion.
   */
  | { kind: 'oci-layout'; dir: string }
  /** Push the index untagged; its digest is the candidate (docker-container, kubernetes, remote). */
  | { kind: 'push-by-digest'; image: string }
  /** Build every platform and keep the result in the build cache only (pull requests). */
  | { kind: 'cache-only' }
  /** Build one platform and load it into the engine's image store. */
  | { kind: 'load'; tag: string }

/** A build secret as buildx reads it: its argv names the id and where the value is, never the value. */
export type BuildSecret =
  /** A variable of buildx's environment: the action's own (secrets) or the step's (secret-envs). */
  | { readonly id: string; readonly env: string }
  /** A file buildx reads itself (secret-files). */
  | { readonly id: string; readonly file: string }

export interface BuildSpec {
  readonly platforms: readonly Platform[]
  readonly context: string
  readonly file: string
  readonly target: string | undefined
  readonly buildArgs: readonly KeyValue[]
  readonly labels: Readonly<Record<string, string>>
  /** OCI annotations written on the index and on each platform manifest. */
  readonly annotations: Readonly<Record<string, string>>
  readonly output: BuildOutput
  readonly metadataFile: string
  readonly builder?: string | undefined
  readonly provenance?: string | undefined
  readonly sbom?: string | undefined
  readonly cacheFrom?: readonly string[]
  readonly cacheTo?: readonly string[]
  readonly secrets?: readonly BuildSecret[]
  /** Variables for buildx's process only: the values of secrets, never on its command line. */
  readonly environment?: Readonly<Record<string, string>>
  readonly ssh?: readonly SshSource[]
  readonly buildContexts?: readonly NamedContext[]
  /** The user's annotations at their own levels; a key given here replaces ours at every level. */
  readonly userAnnotations?: readonly Annotation[]
  readonly noCache?: boolean
  readonly pull?: boolean
  readonly network?: string | undefined
  readonly addHosts?: readonly HostEntry[]
  readonly shmSize?: string | undefined
  readonly ulimits?: readonly Ulimit[]
}

/** build-push-action's flags of a build, in its meaning: contexts, secrets, ssh, RUN's resources. */
function buildSettingsArgs(spec: BuildSpec): string[] {
  const args: string[] = []
  for (const { name, source } of spec.buildContexts ?? [])
    args.push('--build-context', `${name}=${source}`)
  for (const secret of spec.secrets ?? []) {
    const where = 'env' in secret ? `env=${secret.env}` : `src=${secret.file}`
    args.push('--secret', `id=${secret.id},${where}`)
  }
  for (const { id, path } of spec.ssh ?? [])
    args.push('--ssh', path === undefined ? id : `${id}=${path}`)
  if (spec.noCache === true) args.push('--no-cache')
  if (spec.pull === true) args.push('--pull')
  if (spec.network !== undefined) args.push('--network', spec.network)
  for (const { host, ip } of spec.addHosts ?? []) args.push('--add-host', `${host}:${ip}`)
  if (spec.shmSize !== undefined) args.push('--shm-size', spec.shmSize)
  for (const { name, soft, hard } of spec.ulimits ?? [])
    args.push('--ulimit', `${name}=${soft}${hard === undefined ? '' : `:${hard}`}`)
  return args
}

/**
 * One annotation as buildx takes it, once per level: level[platform]:key=value (buildx 0.13
 * reads index,manifest:key as a key named so, not as two levels).
 */
export function annotationArgs(annotation: Annotation): string[] {
  const platform = annotation.platform ? `[${formatPlatform(annotation.platform)}]` : ''
  return annotation.levels.map(
    (level) => `${level}${platform}:${annotation.key}=${annotation.value}`,
  )
}

/** The argv of `docker buildx build` for a plan: pure data, never a shell string. */
export function buildxBuildArgs(spec: BuildSpec): string[] {
  const args = ['buildx', 'build', '--progress', 'plain']
  if (spec.builder) args.push('--builder', spec.builder)
  args.push('--platform', spec.platforms.map(formatPlatform).join(','))
  args.push('--file', spec.file)
  if (spec.target) args.push('--target', spec.target)
  for (const { key, value } of spec.buildArgs) args.push('--build-arg', `${key}=${value}`)
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`)
  args.push(...buildSettingsArgs(spec))
  if (spec.provenance !== undefined) args.push('--provenance', spec.provenance)
  if (spec.sbom !== undefined) args.push('--sbom', spec.sbom)
  for (const from of spec.cacheFrom ?? []) args.push('--cache-from', from)
  for (const to of spec.cacheTo ?? []) args.push('--cache-to', to)
  // One platform without attestations is pushed as a plain manifest: it has no index to annotate.
  // Exported as an OCI layout (the docker driver), one platform may or may not get an index
  // (the engine decides on attestations) and the exporter refuses index annotations without
  // one: the action annotates whatever the top of the layout is when it pushes it.
  const plainManifest =
    spec.platforms.length === 1 &&
    ((spec.provenance === 'false' && spec.sbom !== 'true') || spec.output.kind === 'oci-layout')
  const pushed = spec.output.kind !== 'load' && spec.output.kind !== 'cache-only'
  const annotationLevels = !pushed ? [] : plainManifest ? ['manifest'] : ['index', 'manifest']
  // A plain manifest has no index, so no index or descriptor in it to annotate.
  const userLevels: readonly string[] = !pushed
    ? []
    : plainManifest
      ? ['manifest']
      : ['index', 'manifest', 'manifest-descriptor', 'index-descriptor']
  const userAnnotations = spec.userAnnotations ?? []
  // A key the user gives replaces the action's at every level (the release's own keys never get here).
  const replaced = new Set(userAnnotations.map((a) => a.key))
  for (const level of annotationLevels) {
    for (const [key, value] of Object.entries(spec.annotations))
      if (!replaced.has(key)) args.push('--annotation', `${level}:${key}=${value}`)
  }
  for (const annotation of userAnnotations) {
    const levels = annotation.levels.filter((l) => userLevels.includes(l))
    for (const arg of annotationArgs({ ...annotation, levels })) args.push('--annotation', arg)
  }
  switch (spec.output.kind) {
    case 'oci-layout':
      args.push('--output', `type=oci,dest=${spec.output.dir},tar=false`)
      break
    case 'push-by-digest':
      args.push(
        '--output',
        `type=image,name=${spec.output.image},push-by-digest=true,name-canonical=true,push=true`,
      )
      break
    case 'load':
      args.push('--tag', spec.output.tag, '--load')
      break
    case 'cache-only':
      break
  }
  args.push('--metadata-file', spec.metadataFile)
  args.push(spec.context)
  return args
}

/** The OCI labels and annotations every release carries. */
export function ociMetadata(meta: {
  version: string
  revision: string
  source: string
  created: string
  title: string
}): Record<string, string> {
  return {
    'org.opencontainers.image.version': meta.version,
    'org.opencontainers.image.revision': meta.revision,
    'org.opencontainers.image.source': meta.source,
    'org.opencontainers.image.created': meta.created,
    'org.opencontainers.image.title': meta.title,
  }
}

/** The cache flags of a build: read always, write only where the run may push. */
export function cacheFlags(
  cache: 'none' | 'registry' | 'gha',
  image: string,
  scope: string,
  write: boolean,
): { cacheFrom: string[]; cacheTo: string[] } {
  switch (cache) {
    case 'none':
      return { cacheFrom: [], cacheTo: [] }
    case 'registry': {
      const ref = `${image}:buildcache`
      return {
        cacheFrom: [`type=registry,ref=${ref}`],
        cacheTo: write ? [`type=registry,ref=${ref},mode=max`] : [],
      }
    }
    case 'gha':
      return {
        cacheFrom: [`type=gha,scope=${scope}`],
        cacheTo: write ? [`type=gha,scope=${scope},mode=max`] : [],
      }
  }
}

/** Finds, in buildx's error output, the platform whose step failed, e.g. "[linux/arm64 2/3]". */
export function failedPlatform(stderr: string): string | undefined {
  const platform = String.raw`([a-z]+\/[a-z0-9]+(?:\/v[0-9.]+)?) `
  const errorSection = stderr.slice(Math.max(0, stderr.lastIndexOf('------\n > [')))
  const match =
    new RegExp(String.raw`> \[${platform}`).exec(errorSection) ??
    new RegExp(String.raw`^#(\d+) ERROR`, 'm').exec(stderr)
  if (match === null) return undefined
  if (!match[0].startsWith('#')) return match[1]
  // The failing vertex may not name its platform; an earlier line of the same vertex may.
  const vertex = match[1] ?? ''
  return new RegExp(String.raw`^#${vertex} \[${platform}`, 'm').exec(stderr)?.[1]
}

/** How many of a build's Dockerfile steps came from the cache, read from buildx's plain progress. */
export function cacheUse(progress: string): { cached: number; steps: number } {
  const steps = new Set<string>()
  const cached = new Set<string>()
  for (const line of progress.split('\n')) {
    const step = /^#(\d+) \[(?:[a-z]+\/[a-z0-9]+(?:\/v\d)? )?\d+\/\d+\]/.exec(line)
    if (step?.[1] !== undefined) steps.add(step[1])
    const hit = /^#(\d+) CACHED\s*$/.exec(line)
    if (hit?.[1] !== undefined) cached.add(hit[1])
  }
  return { cached: [...cached].filter((id) => steps.has(id)).length, steps: steps.size }
}
