// build-push-action's build inputs of one image, with its names and meaning: build-contexts,
// labels, annotations, no-cache, pull, network, add-hosts, shm-size and ulimit (a component may
// set its own). The secret inputs are in build-secrets.ts.
import { isIP } from 'node:net'
import type { InputName } from './action-inputs.generated.js'
import { ACCEPTED_PLATFORMS, parsePlatform, type Platform } from './platform.js'
import {
  MAX_ENTRIES,
  boolean,
  lines,
  list,
  oneOf,
  optional,
  optionalText,
  type EntryParser,
  type InputSpec,
} from './input-kinds.js'

/** build-contexts: name=source, a folder in the workspace, a URL, docker-image:// or oci-layout://. */
export interface NamedContext {
  readonly name: string
  readonly source: string
}

export const ANNOTATION_LEVELS = [
  'manifest',
  'index',
  'manifest-descriptor',
  'index-descriptor',
] as const
export type AnnotationLevel = (typeof ANNOTATION_LEVELS)[number]

/** An annotation as buildx takes it: [levels[platform]:]key=value; no level is manifest. */
export interface Annotation {
  readonly levels: readonly AnnotationLevel[]
  readonly platform: Platform | undefined
  readonly key: string
  readonly value: string
}

export interface HostEntry {
  readonly host: string
  readonly ip: string
}

export const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const
export interface Ulimit {
  readonly name: (typeof ULIMIT_NAMES)[number]
  readonly soft: number
  readonly hard: number | undefined
}

/**
 * The keys the release writes itself: the history reads the version and the commit from the
 * image, created comes from the commit (reproducible digests), the identity decides reuse.
 */
export const RESERVED_METADATA = [
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.created',
  'dev.multiarch-release.build-identity',
] as const

/** Inside the workspace, named relatively: no absolute path, no ~, no .. part. */
const insideWorkspace = (path: string): boolean =>
  !path.startsWith('/') && !path.startsWith('~') && !path.split(/[\\/]/).includes('..')

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_./:@-]*$/
const REMOTE_SOURCE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/)\S+$/

/** The folder of a local source: a path, or an oci-layout:// path without its :tag or @digest. */
function localFolder(source: string): string | undefined {
  if (source.startsWith('oci-layout://')) {
    const rest = source.slice('oci-layout://'.length)
    const slash = rest.lastIndexOf('/')
    const cut = rest.slice(slash + 1).search(/[:@]/)
    return cut < 0 ? rest : rest.slice(0, slash + 1 + cut)
  }
  return REMOTE_SOURCE.test(source) || source.startsWith('docker-image://') ? undefined : source
}

const ACCEPTED_CONTEXT =
  'give name=source per line, the source a folder in the workspace, a git or HTTP URL, docker-image://<image> or oci-layout://<folder>[:tag]'

const buildContexts: InputSpec<NamedContext[]> = {
  kind: 'lines',
  parse: (text, at) => {
    const parsed = lines<NamedContext>(
      (entry, report) => {
        const eq = entry.indexOf('=')
        const name = entry.slice(0, Math.max(eq, 0)).trim()
        const source = entry.slice(eq + 1).trim()
        if (eq <= 0 || !CONTEXT_NAME.test(name) || source === '' || /\s/.test(source)) {
          report(entry, 'it is not name=source', ACCEPTED_CONTEXT)
          return undefined
        }
        if (source.startsWith('target:')) {
          report(entry, 'a target: context exists in bake only', ACCEPTED_CONTEXT)
          return undefined
        }
        const folder = localFolder(source)
        if (folder !== undefined && (!insideWorkspace(folder) || folder === '')) {
          report(entry, 'the folder is outside the workspace', ACCEPTED_CONTEXT)
          return undefined
        }
        if (folder !== undefined && !at.exists(folder)) {
          report(entry, 'the folder does not exist', ACCEPTED_CONTEXT)
          return undefined
        }
        return { name, source }
      },
      { max: MAX_ENTRIES },
    ).parse(text, at)
    const names = parsed.map((c) => c.name)
    for (const [i, name] of names.entries())
      if (names.indexOf(name) !== i)
        at.report(name, 'this context is given twice', 'give each build context once')
    return parsed
  },
}

const METADATA_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/

/** Leaves out the release's own keys, with one notice naming those given. */
function withoutReserved<T extends { readonly key: string }>(
  entries: readonly T[],
  notice: (message: string) => void,
): T[] {
  const reserved = [
    ...new Set(
      entries
        .filter((e) => (RESERVED_METADATA as readonly string[]).includes(e.key))
        .map((e) => e.key),
    ),
  ]
  if (reserved.length > 0)
    notice(
      `${reserved.join(', ')} ${reserved.length > 1 ? 'are' : 'is'} the release's own (the released version, commit and commit time): the given value is not used`,
    )
  return entries.filter((e) => !reserved.includes(e.key))
}

const labels: InputSpec<Readonly<Record<string, string>>> = {
  kind: 'key-values',
  parse: (text, at) => {
    const entries = lines<{ key: string; value: string }>(
      (line, report) => {
        const eq = line.indexOf('=')
        const key = line.slice(0, Math.max(eq, 0)).trim()
        if (eq > 0 && METADATA_KEY.test(key)) return { key, value: line.slice(eq + 1) }
        report(
          line,
          'it is not key=value',
          'give one key=value per line, such as org.opencontainers.image.description=…',
        )
        return undefined
      },
      { max: MAX_ENTRIES },
    ).parse(text, at)
    // A later line wins, as in buildx: metadata-action's labels, then your own.
    return Object.fromEntries(withoutReserved(entries, at.notice).map((e) => [e.key, e.value]))
  },
}

const ANNOTATION = /^(?:([a-z-]+(?:,[a-z-]+)*)(?:\[([^\]]+)\])?:)?([^=:\s[\]]+)=(.*)$/
const ACCEPTED_ANNOTATION = `give one [level:]key=value per line, the level one of ${ANNOTATION_LEVELS.join(', ')} (several joined by commas, optionally with [os/arch]); no level is manifest`

const annotation: EntryParser<Annotation> = (line, report) => {
  const match = ANNOTATION.exec(line)
  if (match === null) {
    report(line, 'it is not [level:]key=value', ACCEPTED_ANNOTATION)
    return undefined
  }
  const [, levelText, platformText, key = '', value = ''] = match
  const levels = (levelText ?? 'manifest').split(',')
  const unknown = levels.filter((l) => !(ANNOTATION_LEVELS as readonly string[]).includes(l))
  if (unknown.length > 0) {
    report(line, `'${unknown.join(',')}' is not an annotation level`, ACCEPTED_ANNOTATION)
    return undefined
  }
  const platform = platformText === undefined ? undefined : parsePlatform(platformText)
  if (typeof platform === 'string') {
    report(line, platform, ACCEPTED_PLATFORMS)
    return undefined
  }
  return { levels: levels as AnnotationLevel[], platform, key, value }
}

const annotations: InputSpec<Annotation[]> = {
  kind: 'lines',
  parse: (text, at) =>
    withoutReserved(lines(annotation, { max: MAX_ENTRIES }).parse(text, at), at.notice),
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/

const hostEntry: EntryParser<HostEntry> = (entry, report) => {
  const cut = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':')
  const host = entry.slice(0, Math.max(cut, 0))
  const ip = entry.slice(cut + 1)
  if (cut > 0 && HOST.test(host) && (isIP(ip) !== 0 || ip === 'host-gateway')) return { host, ip }
  report(entry, 'it is not host:ip', 'give host:ip (or host=ip), such as docker:10.180.0.1')
  return undefined
}

const ulimit: EntryParser<Ulimit> = (entry, report) => {
  const match = /^([a-z]+)=(-1|\d{1,19})(?::(-1|\d{1,19}))?$/.exec(entry)
  const name = ULIMIT_NAMES.find((n) => n === match?.[1])
  if (match !== null && name !== undefined) {
    const hard = match[3] === undefined ? undefined : Number(match[3])
    return { name, soft: Number(match[2]), hard }
  }
  report(
    entry,
    'it is not a ulimit',
    `give name=soft[:hard], such as nofile=1024:1024; the names are ${ULIMIT_NAMES.join(', ')}`,
  )
  return undefined
}

/** The build inputs of one image: a component may set its own. */
export const BUILD_IMAGE_INPUTS = {
  'build-contexts': buildContexts,
  labels,
  annotations,
  'no-cache': boolean(),
  pull: boolean(),
  network: optional(oneOf(['default', 'none', 'host'], 'network mode')),
  'add-hosts': list(hostEntry, { max: MAX_ENTRIES }),
  'shm-size': optionalText({
    pattern: /^\d+(?:\.\d+)? ?[kKmMgGtTpP]?[iI]?[bB]?$/,
    reason: 'it is not a size',
    accepted: 'give a size such as 2g, 512m or 1073741824',
  }),
  ulimit: lines(ulimit, { max: MAX_ENTRIES }),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>
