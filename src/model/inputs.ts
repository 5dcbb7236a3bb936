import type semver from 'semver'
import { InputError, type InputProblem } from './errors.js'
import { ACCEPTED_PLATFORMS, formatPlatform, parsePlatform, type Platform } from './platform.js'
import { ACCEPTED_IMAGE, parseImageRepository, type ImageRepository } from './image-ref.js'
import {
  ACCEPTED_CHANNEL,
  ACCEPTED_VERSION,
  parseChannel,
  parseVersion,
  type Bump,
  type BumpInput,
  type ChannelInput,
} from './version.js'
import { parse as parseYaml } from 'yaml'
import { ACCEPTED_RELEASE_BRANCHES } from './branch-policy.js'
import type { LabelScheme } from './intent.js'
import { TEMPLATE_FIELDS, unknownPlaceholders, type TagScheme } from './tags.js'
import { ACCEPTED_SECONDS, parseSeconds, type Duration, type TimeoutTable } from './duration.js'
import {
  ACCEPTED_HTTP_EXPECT,
  ACCEPTED_SMOKE_HTTP,
  ACCEPTED_SMOKE_RUN,
  parseHttpExpectation,
  parseHttpProbeTarget,
  parseSmokeCommand,
  type HttpProbe,
  type SmokeCommand,
} from './smoke.js'

/** plan: print what an auto run would do (version, tags, steps), reading only, changing nothing. */
export type Mode = 'auto' | 'build' | 'release' | 'build-platform' | 'rollback' | 'plan'

export interface KeyValue {
  readonly key: string
  readonly value: string
}

/** Every input of the action, parsed and validated once, before any side effect. */
/** The build and smoke settings of one image. */
export interface SmokeSettings {
  readonly run: readonly SmokeCommand[]
  readonly http: HttpProbe | undefined
  readonly env: readonly KeyValue[]
  readonly timeout: TimeoutTable
}

/** One image of the release: a component, or the only image of a single-image release. */
export interface ImageBuild {
  /** The component's name; for a single image, the repository's last path part. */
  readonly name: string
  readonly image: ImageRepository
  readonly platforms: readonly Platform[]
  readonly context: string
  readonly file: string
  readonly target: string | undefined
  readonly buildArgs: readonly KeyValue[]
  readonly smoke: SmokeSettings
}

/** Every input of the action, parsed and validated once, before any side effect. */
export interface Inputs {
  readonly mode: Mode
  /** The images of the release: one, or every component; all released together or none. */
  readonly components: readonly ImageBuild[]
  readonly channel: ChannelInput
  readonly version: semver.SemVer | undefined
  readonly bump: BumpInput
  readonly githubToken: string
  readonly releaseAssets: readonly string[]
  readonly releaseNotes: string | undefined
  /** buildx --provenance: undefined keeps buildx's default. */
  readonly provenance: string | undefined
  /** The bump of a release whose commit has no pull request; none skips such releases. */
  readonly defaultBump: Bump | 'none'
  /** The prefix of version tags in git: v gives v1.2.3. */
  readonly tagPrefix: string
  readonly initialVersion: semver.SemVer
  readonly tagScheme: TagScheme
  readonly labels: LabelScheme
  /** An existing buildx builder (docker-container, kubernetes, remote); undefined: the current one. */
  readonly builder: string | undefined
  /** The digests that build-platform runs pushed, one per platform, for the release to assemble. */
  readonly platformDigests: readonly PlatformDigest[]
  /** Attach an OCI image layout archive of every image (all platforms) to the Release. */
  readonly releaseOciArchives: boolean
  /** buildx --sbom: undefined keeps buildx's default. */
  readonly sbom: string | undefined
  readonly cache: 'none' | 'registry' | 'gha'
  /** Credentials to log in to every image's registry with (masked, logged out afterwards). */
  readonly registryCredentials: { username: string; password: string } | undefined
  readonly signing: Signing
  /** Branches (globs) that release besides the default branch; maintenance lines among them. */
  readonly releaseBranches: readonly string[]
}

/** How the promoted digests are signed with cosign before the Release is published. */
export type Signing =
  | { kind: 'none' }
  | { kind: 'key'; key: string; password: string; tlogUpload: boolean }
  | { kind: 'keyless'; tlogUpload: boolean }

export interface PlatformDigest {
  readonly platform: Platform | undefined
  readonly digest: string
}

/** Defaults, as action.yml declares them (a unit test keeps the two equal). */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  mode: 'auto',
  platforms: 'linux/amd64,linux/arm64',
  channel: 'auto',
  bump: 'auto',
  context: '.',
  'smoke-timeout': '60',
  'default-bump': 'patch',
  'tag-prefix': 'v',
  'initial-version': '0.1.0',
  'label-type-prefix': 'type:',
  'label-channel-prefix': 'channel:',
  'release-oci-archives': 'false',
  cache: 'none',
  sign: 'none',
  'cosign-tlog-upload': 'true',
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/
export const MAX_INPUT_LENGTH = 65_536
const MAX_LINES = 64

/** Splits a list input on commas and newlines, dropping blanks. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
}

function parseKeyValue(line: string): KeyValue | undefined {
  const eq = line.indexOf('=')
  if (eq <= 0) return undefined
  const key = line.slice(0, eq).trim()
  if (!KEY.test(key)) return undefined
  return { key, value: line.slice(eq + 1) }
}

/** Reads an input by name: the runner passes them as INPUT_<NAME> variables. */
export type InputReader = (name: string) => string

export function envInputReader(env: NodeJS.ProcessEnv): InputReader {
  return (name) => {
    // The runner passes the action.yml default when an input is not given; an empty value stays empty.
    const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]
    return value ?? INPUT_DEFAULTS[name] ?? ''
  }
}

type Problem = (input: string, value: string, reason: string, accepted: string) => void

/** Where a build's settings come from: its own field names, and how a problem names them. */
interface SettingsSource {
  /** The value of a field (platforms, context, smoke-run, …), or '' when it is not given. */
  readonly get: (field: string) => string
  /** The input name a problem reports, e.g. smoke-run or components[api].smoke-run. */
  readonly label: (field: string) => string
}

/** The build and smoke settings of one image, from the top-level inputs or a component entry. */
function parseBuildSettings(
  source: SettingsSource,
  problem: Problem,
  exists: (path: string) => boolean,
): Omit<ImageBuild, 'name' | 'image'> {
  const { get, label } = source
  const platformsText = get('platforms')
  const platforms: Platform[] = []
  for (const item of splitList(platformsText)) {
    const parsed = parsePlatform(item)
    if (typeof parsed === 'string') problem(label('platforms'), item, parsed, ACCEPTED_PLATFORMS)
    else if (platforms.some((p) => formatPlatform(p) === formatPlatform(parsed))) {
      problem(label('platforms'), item, 'it is listed twice', 'list each platform once')
    } else platforms.push(parsed)
  }
  if (splitList(platformsText).length === 0) {
    problem(label('platforms'), platformsText, 'no platform is listed', ACCEPTED_PLATFORMS)
  }

  const context = get('context').trim() || '.'
  const file = get('file').trim() || `${context.replace(/\/+$/, '')}/Dockerfile`
  // A remote context (git or HTTP URL) is fetched by buildx itself; a local one must be there.
  if (!/^(https?:\/\/|git@|git:\/\/)/.test(context)) {
    if (!exists(context)) {
      problem(
        label('context'),
        context,
        'the folder does not exist',
        'give the build context folder, relative to the workspace',
      )
    } else if (!exists(file)) {
      problem(
        label('file'),
        file,
        'the Dockerfile does not exist',
        'give the Dockerfile path, relative to the workspace (default <context>/Dockerfile)',
      )
    }
  }
  const target = get('target').trim() || undefined
  if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) {
    problem(
      label('target'),
      target,
      'it is not a build stage name',
      'use the name of a FROM … AS <name> stage',
    )
  }

  const keyValues = (field: string, accepted: string): KeyValue[] =>
    splitLines(get(field)).flatMap((line) => {
      const kv = parseKeyValue(line)
      if (kv === undefined) problem(label(field), line, 'it is not KEY=value', accepted)
      return kv === undefined ? [] : [kv]
    })
  const buildArgs = keyValues('build-args', 'give one NAME=value per line')

  const run: SmokeCommand[] = []
  for (const line of splitLines(get('smoke-run'))) {
    const parsed = parseSmokeCommand(line)
    if (typeof parsed === 'string') problem(label('smoke-run'), line, parsed, ACCEPTED_SMOKE_RUN)
    else run.push(parsed)
  }
  const httpText = get('smoke-http').trim()
  const expectText = get('smoke-http-expect').trim()
  let http: HttpProbe | undefined
  const expect = parseHttpExpectation(expectText)
  if (typeof expect === 'string')
    problem(label('smoke-http-expect'), expectText, expect, ACCEPTED_HTTP_EXPECT)
  if (httpText !== '') {
    const probeTarget = parseHttpProbeTarget(httpText)
    if (typeof probeTarget === 'string')
      problem(label('smoke-http'), httpText, probeTarget, ACCEPTED_SMOKE_HTTP)
    else if (typeof expect !== 'string') http = { ...probeTarget, expect }
  } else if (expectText !== '') {
    problem(
      label('smoke-http-expect'),
      expectText,
      'it is set but smoke-http is not',
      'set smoke-http too, or remove it',
    )
  }
  const env = keyValues('smoke-env', 'give one KEY=value per line')
  const timeout = parseTimeoutTable(
    get('smoke-timeout').trim() || '60',
    label('smoke-timeout'),
    problem,
  )
  for (const [field, count] of [
    ['smoke-run', run.length],
    ['platforms', platforms.length],
  ] as const) {
    if (count > MAX_LINES)
      problem(label(field), `${count} entries`, 'there are too many', `give at most ${MAX_LINES}`)
  }
  return { platforms, context, file, target, buildArgs, smoke: { run, http, env, timeout } }
}

/** The name a single-image release gives its only image: the repository's last path part. */
const imageName = (image: ImageRepository): string => image.path.split('/').pop() ?? image.path

/** A YAML value as the text an input of the same name would hold. */
function asInputText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map(asInputText).join('\n')
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${asInputText(v)}`)
      .join('\n')
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

const COMPONENT_FIELDS = [
  'name',
  'image',
  'context',
  'file',
  'target',
  'build-args',
  'platforms',
  'smoke-run',
  'smoke-http',
  'smoke-http-expect',
  'smoke-env',
  'smoke-timeout',
]
const COMPONENT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
export const ACCEPTED_COMPONENTS =
  'give a YAML list (inline, or the path of a .yml/.yaml file in the workspace) of entries with name, image, and optionally context, file, target, build-args, platforms and the smoke-* settings'

/** The components input: a YAML list inline, or the path of a YAML file. */
function parseComponents(
  text: string,
  defaults: (field: string) => string,
  problem: Problem,
  exists: (path: string) => boolean,
  readText: (path: string) => string | undefined,
): ImageBuild[] {
  let yamlText = text
  if (!text.includes('\n') && /\.ya?ml$/.test(text.trim())) {
    const fromFile = readText(text.trim())
    if (fromFile === undefined) {
      problem('components', text, 'the file does not exist', ACCEPTED_COMPONENTS)
      return []
    }
    yamlText = fromFile
  }
  let entries: unknown
  try {
    entries = parseYaml(yamlText)
  } catch (error) {
    problem(
      'components',
      text.slice(0, 80),
      `it is not YAML (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : ''})`,
      ACCEPTED_COMPONENTS,
    )
    return []
  }
  if (!Array.isArray(entries) || entries.length === 0) {
    problem('components', text.slice(0, 80), 'it is not a list of components', ACCEPTED_COMPONENTS)
    return []
  }
  if (entries.length > MAX_LINES) {
    problem(
      'components',
      `${entries.length} entries`,
      'there are too many',
      `give at most ${MAX_LINES}`,
    )
    return []
  }
  const builds: ImageBuild[] = []
  for (const [index, entry] of entries.entries()) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problem(
        `components[${index}]`,
        asInputText(entry).slice(0, 80),
        'it is not a mapping',
        ACCEPTED_COMPONENTS,
      )
      continue
    }
    const fields = entry as Record<string, unknown>
    const name = asInputText(fields.name).trim()
    const where = `components[${COMPONENT_NAME.test(name) ? name : index}]`
    for (const key of Object.keys(fields)) {
      if (!COMPONENT_FIELDS.includes(key))
        problem(
          `${where}.${key}`,
          asInputText(fields[key]).slice(0, 80),
          'it is not a component field',
          `use ${COMPONENT_FIELDS.join(', ')}`,
        )
    }
    if (!COMPONENT_NAME.test(name)) {
      problem(
        `${where}.name`,
        name,
        'it is not a component name',
        'use lowercase letters, digits and dashes, such as api or web-ui',
      )
    } else if (builds.some((b) => b.name === name)) {
      problem(
        `${where}.name`,
        name,
        'another component has this name',
        'give each component its own name',
      )
    }
    const imageText = asInputText(fields.image).trim()
    const image = parseImageRepository(imageText)
    if (typeof image === 'string') {
      problem(
        `${where}.image`,
        imageText,
        imageText === '' ? 'it is required' : image,
        ACCEPTED_IMAGE,
      )
    } else if (builds.some((b) => b.image.name === image.name)) {
      problem(
        `${where}.image`,
        imageText,
        'another component has this image',
        'give each component its own repository',
      )
    }
    const settings = parseBuildSettings(
      {
        get: (field) => (field in fields ? asInputText(fields[field]) : defaults(field)),
        label: (field) => `${where}.${field}`,
      },
      problem,
      exists,
    )
    if (typeof image !== 'string') builds.push({ name, image, ...settings })
  }
  return builds
}

/**
 * Parses every input; collects every problem and throws them together as one InputError,
 * so a user fixes all of them in one go.
 */
export function parseInputs(
  reader: InputReader,
  exists: (path: string) => boolean = () => true,
  readText: (path: string) => string | undefined = () => undefined,
): Inputs {
  const problems: InputProblem[] = []
  const problem: Problem = (input, value, reason, accepted) => {
    problems.push({ input, value, accepted: `${reason}; ${accepted}` })
  }
  const tooLong = new Set<string>()
  // A value this long is a mistake (or an attack), never a configuration.
  const read = (name: string): string => {
    const value = reader(name)
    if (value.length <= MAX_INPUT_LENGTH) return value
    if (!tooLong.has(name)) {
      tooLong.add(name)
      problem(
        name,
        `${value.slice(0, 40)}…`,
        `it is ${value.length} characters long`,
        `keep it under ${MAX_INPUT_LENGTH} characters`,
      )
    }
    return ''
  }
  const get = (name: string): string => read(name).trim()

  const modeText = get('mode') || 'auto'
  const modes: Mode[] = ['auto', 'build', 'release', 'build-platform', 'rollback', 'plan']
  const mode = modes.find((m) => m === modeText)
  if (mode === undefined)
    problem('mode', modeText, 'unknown mode', `use one of ${modes.join(', ')}`)

  // The top-level build settings: the single image's, and every component's defaults.
  const topLevel = (field: string): string =>
    field === 'platforms' ? get('platforms') || (INPUT_DEFAULTS.platforms ?? '') : read(field)
  const componentsText = read('components')
  let components: ImageBuild[]
  if (componentsText.trim() === '') {
    const imageText = get('image')
    const image = parseImageRepository(imageText)
    if (imageText === '')
      problem('image', imageText, 'it is required (or components)', ACCEPTED_IMAGE)
    else if (typeof image === 'string') problem('image', imageText, image, ACCEPTED_IMAGE)
    const settings = parseBuildSettings({ get: topLevel, label: (field) => field }, problem, exists)
    components = typeof image === 'string' ? [] : [{ name: imageName(image), image, ...settings }]
  } else {
    if (get('image') !== '') {
      problem(
        'image',
        get('image'),
        'it is set together with components',
        'give the image of each component in components, and leave image empty',
      )
    }
    components = parseComponents(componentsText, topLevel, problem, exists, readText)
  }

  const channelText = get('channel')
  const channel = parseChannel(channelText)
  if (typeof channel === 'string') problem('channel', channelText, channel, ACCEPTED_CHANNEL)

  const versionText = get('version')
  const version = versionText === '' ? undefined : parseVersion(versionText)
  if (typeof version === 'string') problem('version', versionText, version, ACCEPTED_VERSION)

  const bumpText = get('bump') || 'auto'
  const bumps: BumpInput[] = ['auto', 'patch', 'minor', 'major']
  const bump = bumps.find((b) => b === bumpText)
  if (bump === undefined)
    problem('bump', bumpText, 'unknown bump', `use one of ${bumps.join(', ')}`)

  const releaseAssets = splitLines(read('release-assets'))
  for (const pattern of releaseAssets) {
    if (
      pattern.startsWith('/') ||
      pattern.startsWith('~') ||
      pattern.split(/[\\/]/).includes('..')
    ) {
      problem(
        'release-assets',
        pattern,
        'it reaches outside the workspace',
        'give globs relative to the workspace, such as dist/*.tar.gz',
      )
    }
  }
  for (const [name, count] of [
    ['release-assets', releaseAssets.length],
    ['tags', splitLines(read('tags')).length],
  ] as const) {
    if (count > MAX_LINES)
      problem(name, `${count} entries`, 'there are too many', `give at most ${MAX_LINES}`)
  }
  const releaseNotes = read('release-notes').trim() === '' ? undefined : read('release-notes')

  const githubToken = get('github-token')

  const provenanceText = get('provenance')
  if (
    provenanceText !== '' &&
    !/^(true|false|mode=(min|max)(,[a-z-]+=[^,\s]+)*)$/.test(provenanceText)
  ) {
    problem(
      'provenance',
      provenanceText,
      'it is not a provenance setting',
      "leave it empty for buildx's default, or use true, false, mode=min or mode=max",
    )
  }

  const defaultBumpText = get('default-bump') || 'patch'
  const defaultBumps: (Bump | 'none')[] = ['patch', 'minor', 'major', 'none']
  const defaultBump = defaultBumps.find((b) => b === defaultBumpText)
  if (defaultBump === undefined) {
    problem(
      'default-bump',
      defaultBumpText,
      'unknown bump',
      `use one of ${defaultBumps.join(', ')}`,
    )
  }

  const tagPrefix = get('tag-prefix')
  if (!/^[A-Za-z0-9._/-]*$/.test(tagPrefix)) {
    problem(
      'tag-prefix',
      tagPrefix,
      'it is not usable in a git tag name',
      'use letters, digits, . _ / -, for example v or app-v',
    )
  }
  const initialText = get('initial-version') || '0.1.0'
  const initial = parseVersion(initialText)
  if (typeof initial === 'string' || initial.prerelease.length > 0) {
    problem(
      'initial-version',
      initialText,
      typeof initial === 'string' ? initial : 'it is a prerelease',
      'use a stable version such as 0.1.0 or 1.0.0',
    )
  }
  const imageTagPrefix = get('image-tag-prefix')
  if (imageTagPrefix !== '' && !/^\w[\w.-]{0,30}$/.test(imageTagPrefix)) {
    problem(
      'image-tag-prefix',
      imageTagPrefix,
      'it cannot start an image tag',
      'use letters, digits, _ . -, starting with a letter or digit, for example v',
    )
  }
  const extraTags = splitLines(read('tags'))
  for (const template of extraTags) {
    const unknown = unknownPlaceholders(template)
    if (unknown.length > 0) {
      problem(
        'tags',
        template,
        `it uses unknown placeholders ${unknown.map((u) => `{{${u}}}`).join(', ')}`,
        `use ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')}`,
      )
    }
  }
  const labelPrefix = (name: string, fallback: string): string => {
    const value = get(name) || fallback
    if (/\s/.test(value))
      problem(name, value, 'it holds white space', 'use a label prefix such as type: or release/')
    return value
  }
  const labels = {
    typePrefix: labelPrefix('label-type-prefix', 'type:'),
    channelPrefix: labelPrefix('label-channel-prefix', 'channel:'),
  }
  if (labels.typePrefix === labels.channelPrefix) {
    problem(
      'label-channel-prefix',
      labels.channelPrefix,
      'it is the same as label-type-prefix',
      'give the two kinds of labels different prefixes',
    )
  }

  const builder = get('builder')
  if (builder !== '' && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(builder)) {
    problem(
      'builder',
      builder,
      'it is not a buildx builder name',
      'give the name docker/setup-buildx-action reports (its name output), or leave it empty',
    )
  }

  const platformDigests: PlatformDigest[] = []
  for (const line of splitLines(read('platform-digests'))) {
    const match = /^(?:([^=\s]+)=)?(sha256:[0-9a-f]{64})$/.exec(line)
    const platform = match?.[1] === undefined ? undefined : parsePlatform(match[1])
    if (!match || typeof platform === 'string') {
      problem(
        'platform-digests',
        line,
        typeof platform === 'string' ? platform : 'it is not a digest',
        'give one sha256:<64 hex> per line, optionally as linux/arm64=sha256:…, from the digest output of each build-platform run',
      )
    } else platformDigests.push({ platform, digest: match[2] ?? '' })
  }
  if (platformDigests.length > 0 && components.length > 1) {
    problem(
      'platform-digests',
      `${platformDigests.length} digests`,
      'it is set together with components',
      'assemble one image per release job, or build the components in one job',
    )
  }
  if (mode === 'rollback' && version === undefined) {
    problem(
      'version',
      versionText,
      'mode rollback needs the version to roll back to',
      'set version to a released version, for example 1.2.0',
    )
  }
  if (mode === 'build-platform') {
    for (const c of components.filter((c) => c.platforms.length !== 1)) {
      problem(
        components.length > 1 ? `components[${c.name}].platforms` : 'platforms',
        c.platforms.map(formatPlatform).join(','),
        'mode build-platform builds exactly one platform',
        'give the one platform of this runner, for example linux/arm64 on ubuntu-24.04-arm',
      )
    }
    if (platformDigests.length > 0)
      problem(
        'platform-digests',
        `${platformDigests.length} digests`,
        'it is for the release run, not for mode build-platform',
        'set it in the job that assembles the release',
      )
  }

  const archivesText = get('release-oci-archives') || 'false'
  if (archivesText !== 'true' && archivesText !== 'false') {
    problem('release-oci-archives', archivesText, 'it is not a boolean', 'use true or false')
  }

  const sbomText = get('sbom')
  if (sbomText !== '' && !/^(true|false|generator=[^\s,]+)$/.test(sbomText)) {
    problem(
      'sbom',
      sbomText,
      'it is not an SBOM setting',
      "leave it empty for buildx's default, or use true, false or generator=<image>",
    )
  }
  const cacheText = get('cache') || 'none'
  const caches = ['none', 'registry', 'gha'] as const
  const cache = caches.find((c) => c === cacheText)
  if (cache === undefined)
    problem('cache', cacheText, 'unknown cache', `use one of ${caches.join(', ')}`)

  const username = get('registry-username')
  const password = read('registry-password')
  if ((username === '') !== (password === '')) {
    problem(
      username === '' ? 'registry-username' : 'registry-password',
      '',
      'it is empty while the other is set',
      'give both registry-username and registry-password, or neither (docker/login-action)',
    )
  }

  const releaseBranches = splitList(read('release-branches'))
  for (const pattern of releaseBranches) {
    if (!/^[A-Za-z0-9._/*?{},!@+-]+$/.test(pattern) || pattern.startsWith('refs/')) {
      problem(
        'release-branches',
        pattern,
        'it is not a branch name or glob',
        ACCEPTED_RELEASE_BRANCHES,
      )
    }
  }

  const signText = get('sign') || 'none'
  const tlogText = get('cosign-tlog-upload') || 'true'
  if (tlogText !== 'true' && tlogText !== 'false')
    problem('cosign-tlog-upload', tlogText, 'it is not a boolean', 'use true or false')
  const tlogUpload = tlogText !== 'false'
  const key = read('cosign-key')
  const keyPassword = read('cosign-password')
  let signing: Signing = { kind: 'none' }
  if (signText === 'key') {
    if (!key.includes('PRIVATE KEY')) {
      problem(
        'cosign-key',
        key === '' ? '' : '(hidden)',
        'sign: key needs the private key',
        'pass the contents of cosign.key from a secret, e.g. ${{ secrets.COSIGN_KEY }}',
      )
    }
    signing = { kind: 'key', key, password: keyPassword, tlogUpload }
  } else if (signText === 'keyless') {
    signing = { kind: 'keyless', tlogUpload }
  } else if (signText !== 'none') {
    problem('sign', signText, 'unknown signing', 'use none, key or keyless')
  }

  if (problems.length > 0) throw new InputError(problems)
  return {
    mode: mode ?? 'auto',
    components,
    channel: channel as ChannelInput,
    version: version as semver.SemVer | undefined,
    bump: bump ?? 'auto',
    githubToken,
    releaseAssets,
    releaseNotes,
    provenance: provenanceText === '' ? undefined : provenanceText,
    defaultBump: defaultBump ?? 'patch',
    tagPrefix,
    initialVersion: initial as semver.SemVer,
    tagScheme: { imageTagPrefix, extra: extraTags },
    labels,
    builder: builder === '' ? undefined : builder,
    platformDigests,
    releaseOciArchives: archivesText === 'true',
    sbom: sbomText === '' ? undefined : sbomText,
    cache: cache ?? 'none',
    registryCredentials: username === '' ? undefined : { username, password },
    signing,
    releaseBranches,
  }
}

function parseTimeoutTable(text: string, input: string, problem: Problem): TimeoutTable {
  const accepted = `${ACCEPTED_SECONDS}, optionally followed by per-platform overrides such as 120,linux/arm64=300`
  let fallback: Duration = { ms: 60_000 }
  const overrides = new Map<string, Duration>()
  for (const item of splitList(text)) {
    const eq = item.indexOf('=')
    if (eq < 0) {
      const parsed = parseSeconds(item)
      if (typeof parsed === 'string') problem(input, item, parsed, accepted)
      else fallback = parsed
      continue
    }
    const platform = parsePlatform(item.slice(0, eq))
    const parsed = parseSeconds(item.slice(eq + 1))
    if (typeof platform === 'string') problem(input, item, platform, accepted)
    else if (typeof parsed === 'string') problem(input, item, parsed, accepted)
    else overrides.set(formatPlatform(platform), parsed)
  }
  return { fallback, overrides }
}
