import { formatPlatform, type Platform } from '../model/platform.js'
import type { KeyValue } from '../model/inputs.js'

/** Where a build's result goes. */
export type BuildOutput =
  /** Push the index under a candidate tag (the docker driver cannot push by digest). */
  | { kind: 'push-tag'; ref: string }
  /** Push the index untagged; its digest is the candidate (docker-container, kubernetes, remote). */
  | { kind: 'push-by-digest'; image: string }
  /** Build every platform and keep the result in the build cache only (pull requests). */
  | { kind: 'cache-only' }
  /** Build one platform and load it into the engine's image store. */
  | { kind: 'load'; tag: string }

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
  if (spec.provenance !== undefined) args.push('--provenance', spec.provenance)
  if (spec.sbom !== undefined) args.push('--sbom', spec.sbom)
  for (const from of spec.cacheFrom ?? []) args.push('--cache-from', from)
  for (const to of spec.cacheTo ?? []) args.push('--cache-to', to)
  // One platform without attestations is pushed as a plain manifest: it has no index to annotate.
  const plainManifest =
    spec.platforms.length === 1 && spec.provenance === 'false' && spec.sbom !== 'true'
  const annotationLevels =
    spec.output.kind === 'load' || spec.output.kind === 'cache-only'
      ? []
      : plainManifest
        ? ['manifest']
        : ['index', 'manifest']
  for (const level of annotationLevels) {
    for (const [key, value] of Object.entries(spec.annotations))
      args.push('--annotation', `${level}:${key}=${value}`)
  }
  switch (spec.output.kind) {
    case 'push-tag':
      args.push('--tag', spec.output.ref, '--push')
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

/** A candidate tag unique to this run and attempt, never confused with a release tag. */
export function candidateTag(sha: string, runId: string, runAttempt: string): string {
  return `candidate-${sha.slice(0, 12)}-${runId}-${runAttempt}`
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
