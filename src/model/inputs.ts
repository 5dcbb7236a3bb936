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

export type Mode = 'auto' | 'build' | 'release'

export interface KeyValue {
  readonly key: string
  readonly value: string
}

/** Every input of the action, parsed and validated once, before any side effect. */
export interface Inputs {
  readonly mode: Mode
  readonly image: ImageRepository
  readonly platforms: readonly Platform[]
  readonly channel: ChannelInput
  readonly version: semver.SemVer | undefined
  readonly bump: BumpInput
  readonly context: string
  readonly file: string
  readonly target: string | undefined
  readonly buildArgs: readonly KeyValue[]
  readonly githubToken: string
  readonly smoke: {
    readonly run: readonly SmokeCommand[]
    readonly http: HttpProbe | undefined
    readonly env: readonly KeyValue[]
    readonly timeout: TimeoutTable
  }
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

/**
 * Parses every input; collects every problem and throws them together as one InputError,
 * so a user fixes all of them in one go.
 */
export function parseInputs(
  reader: InputReader,
  exists: (path: string) => boolean = () => true,
): Inputs {
  const problems: InputProblem[] = []
  const problem = (input: string, value: string, reason: string, accepted: string): void => {
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
  const modes: Mode[] = ['auto', 'build', 'release']
  const mode = modes.find((m) => m === modeText)
  if (mode === undefined)
    problem('mode', modeText, 'unknown mode', `use one of ${modes.join(', ')}`)

  const imageText = get('image')
  const image = parseImageRepository(imageText)
  if (imageText === '') problem('image', imageText, 'it is required', ACCEPTED_IMAGE)
  else if (typeof image === 'string') problem('image', imageText, image, ACCEPTED_IMAGE)

  const platformsText = get('platforms') || (INPUT_DEFAULTS.platforms ?? '')
  const platforms: Platform[] = []
  for (const item of splitList(platformsText)) {
    const parsed = parsePlatform(item)
    if (typeof parsed === 'string') problem('platforms', item, parsed, ACCEPTED_PLATFORMS)
    else if (platforms.some((p) => formatPlatform(p) === formatPlatform(parsed))) {
      problem('platforms', item, 'it is listed twice', 'list each platform once')
    } else platforms.push(parsed)
  }
  if (splitList(platformsText).length === 0) {
    problem('platforms', platformsText, 'no platform is listed', ACCEPTED_PLATFORMS)
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

  const context = get('context') || '.'
  const file = get('file') || `${context.replace(/\/+$/, '')}/Dockerfile`
  // A remote context (git or HTTP URL) is fetched by buildx itself; a local one must be there.
  if (!/^(https?:\/\/|git@|git:\/\/)/.test(context)) {
    if (!exists(context)) {
      problem(
        'context',
        context,
        'the folder does not exist',
        'give the build context folder, relative to the workspace',
      )
    } else if (!exists(file)) {
      problem(
        'file',
        file,
        'the Dockerfile does not exist',
        'give the Dockerfile path, relative to the workspace (default <context>/Dockerfile)',
      )
    }
  }
  const target = get('target') || undefined
  if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) {
    problem(
      'target',
      target,
      'it is not a build stage name',
      'use the name of a FROM … AS <name> stage',
    )
  }

  const keyValues = (name: string, accepted: string): KeyValue[] =>
    splitLines(read(name)).flatMap((line) => {
      const kv = parseKeyValue(line)
      if (kv === undefined) problem(name, line, 'it is not KEY=value', accepted)
      return kv === undefined ? [] : [kv]
    })
  const buildArgs = keyValues('build-args', 'give one NAME=value per line')

  const smokeRun: SmokeCommand[] = []
  for (const line of splitLines(read('smoke-run'))) {
    const parsed = parseSmokeCommand(line)
    if (typeof parsed === 'string') problem('smoke-run', line, parsed, ACCEPTED_SMOKE_RUN)
    else smokeRun.push(parsed)
  }

  const httpText = get('smoke-http')
  const expectText = get('smoke-http-expect')
  let http: HttpProbe | undefined
  const expect = parseHttpExpectation(expectText)
  if (typeof expect === 'string')
    problem('smoke-http-expect', expectText, expect, ACCEPTED_HTTP_EXPECT)
  if (httpText !== '') {
    const probeTarget = parseHttpProbeTarget(httpText)
    if (typeof probeTarget === 'string')
      problem('smoke-http', httpText, probeTarget, ACCEPTED_SMOKE_HTTP)
    else if (typeof expect !== 'string') http = { ...probeTarget, expect }
  } else if (expectText !== '') {
    problem(
      'smoke-http-expect',
      expectText,
      'it is set but smoke-http is not',
      'set smoke-http too, or remove it',
    )
  }

  const smokeEnv = keyValues('smoke-env', 'give one KEY=value per line')
  const timeout = parseTimeoutTable(
    get('smoke-timeout') || (INPUT_DEFAULTS['smoke-timeout'] ?? '60'),
    problem,
  )

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
    ['smoke-run', smokeRun.length],
    ['release-assets', releaseAssets.length],
    ['tags', splitLines(read('tags')).length],
    ['platforms', platforms.length],
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

  if (problems.length > 0) throw new InputError(problems)
  return {
    mode: mode ?? 'auto',
    image: image as ImageRepository,
    platforms,
    channel: channel as ChannelInput,
    version: version as semver.SemVer | undefined,
    bump: bump ?? 'auto',
    context,
    file,
    target,
    buildArgs,
    githubToken,
    smoke: { run: smokeRun, http, env: smokeEnv, timeout },
    releaseAssets,
    releaseNotes,
    provenance: provenanceText === '' ? undefined : provenanceText,
    defaultBump: defaultBump ?? 'patch',
    tagPrefix,
    initialVersion: initial as semver.SemVer,
    tagScheme: { imageTagPrefix, extra: extraTags },
    labels,
  }
}

function parseTimeoutTable(
  text: string,
  problem: (input: string, value: string, reason: string, accepted: string) => void,
): TimeoutTable {
  const accepted = `${ACCEPTED_SECONDS}, optionally followed by per-platform overrides such as 120,linux/arm64=300`
  let fallback: Duration = { ms: 60_000 }
  const overrides = new Map<string, Duration>()
  for (const item of splitList(text)) {
    const eq = item.indexOf('=')
    if (eq < 0) {
      const parsed = parseSeconds(item)
      if (typeof parsed === 'string') problem('smoke-timeout', item, parsed, accepted)
      else fallback = parsed
      continue
    }
    const platform = parsePlatform(item.slice(0, eq))
    const parsed = parseSeconds(item.slice(eq + 1))
    if (typeof platform === 'string') problem('smoke-timeout', item, platform, accepted)
    else if (typeof parsed === 'string') problem('smoke-timeout', item, parsed, accepted)
    else overrides.set(formatPlatform(platform), parsed)
  }
  return { fallback, overrides }
}
