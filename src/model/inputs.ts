import type semver from 'semver'
import { ACTION_INPUTS, type InputName } from './action-inputs.generated.js'
import { parseImages } from './components.js'
import type { TimeoutTable } from './duration.js'
import { InputError, type InputProblem } from './errors.js'
import type { ImageRepository } from './image-ref.js'
import {
  MAX_INPUT_LENGTH,
  type FieldContext,
  type InputSpec,
  type KeyValue,
} from './input-kinds.js'
import { declaredDefault, type InputReader } from './input-env.js'
import { INPUTS, parseRunInputs, type RunValues } from './input-table.js'
import type { LabelScheme } from './intent.js'
import { formatPlatform, type Platform } from './platform.js'
import { signingOf, type Signing } from './signing.js'
import type { HttpProbe, SmokeCommand } from './smoke.js'
import type { TagScheme } from './tags.js'
import type { Bump, BumpInput, ChannelInput } from './version.js'

export { INPUT_DEFAULTS, envInputReader, type InputReader } from './input-env.js'
export { MAX_INPUT_LENGTH, splitLines, splitList, type KeyValue } from './input-kinds.js'
export { ACCEPTED_COMPONENTS } from './components.js'
export type { Signing } from './signing.js'

/** plan: print what an auto run would do (version, tags, steps), reading only, changing nothing. */
export type Mode = 'auto' | 'build' | 'release' | 'build-platform' | 'rollback' | 'plan'

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

export interface PlatformDigest {
  readonly platform: Platform | undefined
  readonly digest: string
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
  const at = (input: string): FieldContext => ({
    report: (value, reason, accepted) => {
      problems.push({ input, value, accepted: `${reason}; ${accepted}` })
    },
    exists,
    readText,
  })
  const texts = readInputs(reader, at)
  const values = parseRunInputs(texts, at)
  const components = parseImages((name) => texts[name], values.components, at)
  checkTogether(values, texts, components, at)
  const signing = signingOf(values, at)
  if (problems.length > 0) throw new InputError(inActionOrder(problems))

  return {
    mode: given(values.mode),
    components,
    channel: given(values.channel),
    version: values.version,
    bump: given(values.bump),
    githubToken: values['github-token'],
    releaseAssets: values['release-assets'],
    releaseNotes: values['release-notes'],
    provenance: values.provenance,
    defaultBump: given(values['default-bump']),
    tagPrefix: values['tag-prefix'],
    initialVersion: given(values['initial-version']),
    tagScheme: { imageTagPrefix: values['image-tag-prefix'], extra: values.tags },
    labels: {
      typePrefix: values['label-type-prefix'],
      channelPrefix: values['label-channel-prefix'],
    },
    builder: values.builder,
    platformDigests: values['platform-digests'],
    releaseOciArchives: given(values['release-oci-archives']),
    sbom: values.sbom,
    cache: given(values.cache),
    registryCredentials:
      values['registry-username'] === ''
        ? undefined
        : { username: values['registry-username'], password: values['registry-password'] },
    signing,
    releaseBranches: values['release-branches'],
  }
}

/** Reads every input once; blank is action.yml's default, unless blank is the input's value. */
function readInputs(
  reader: InputReader,
  at: (input: string) => FieldContext,
): Record<InputName, string> {
  const texts: Partial<Record<InputName, string>> = {}
  for (const name of Object.keys(ACTION_INPUTS) as InputName[]) {
    let value = reader(name)
    // A value this long is a mistake (or an attack), never a configuration.
    if (value.length > MAX_INPUT_LENGTH) {
      at(name).report(
        `${value.slice(0, 40)}…`,
        `it is ${value.length} characters long`,
        `keep it under ${MAX_INPUT_LENGTH} characters`,
      )
      value = ''
    }
    const spec: InputSpec<unknown> = INPUTS[name]
    const fallback = spec.keepsBlank ? undefined : declaredDefault(name)
    texts[name] = value.trim() === '' && fallback !== undefined ? fallback : value
  }
  return texts as Record<InputName, string>
}

/** The rules that span inputs. */
function checkTogether(
  values: RunValues,
  texts: Readonly<Record<InputName, string>>,
  components: readonly ImageBuild[],
  at: (input: string) => FieldContext,
): void {
  if (values['label-type-prefix'] === values['label-channel-prefix']) {
    at('label-channel-prefix').report(
      values['label-channel-prefix'],
      'it is the same as label-type-prefix',
      'give the two kinds of labels different prefixes',
    )
  }
  const digests = values['platform-digests']
  if (digests.length > 0 && components.length > 1) {
    at('platform-digests').report(
      `${digests.length} digests`,
      'it is set together with components',
      'assemble one image per release job, or build the components in one job',
    )
  }
  // A version given but refused is already reported.
  if (values.mode === 'rollback' && texts.version.trim() === '') {
    at('version').report(
      '',
      'mode rollback needs the version to roll back to',
      'set version to a released version, for example 1.2.0',
    )
  }
  if (values.mode === 'build-platform') {
    for (const c of components.filter((c) => c.platforms.length !== 1)) {
      at(components.length > 1 ? `components[${c.name}].platforms` : 'platforms').report(
        c.platforms.map(formatPlatform).join(','),
        'mode build-platform builds exactly one platform',
        'give the one platform of this runner, for example linux/arm64 on ubuntu-24.04-arm',
      )
    }
    if (digests.length > 0) {
      at('platform-digests').report(
        `${digests.length} digests`,
        'it is for the release run, not for mode build-platform',
        'set it in the job that assembles the release',
      )
    }
  }
  const username = values['registry-username']
  if ((username === '') !== (values['registry-password'] === '')) {
    at(username === '' ? 'registry-username' : 'registry-password').report(
      '',
      'it is empty while the other is set',
      'give both registry-username and registry-password, or neither (docker/login-action)',
    )
  }
}

const ORDER: readonly string[] = Object.keys(ACTION_INPUTS)

/** Problems in action.yml's order of their inputs (a component's under components). */
function inActionOrder(problems: readonly InputProblem[]): InputProblem[] {
  const rank = (p: InputProblem): number => ORDER.indexOf(p.input.split(/[[.]/)[0] ?? '')
  return [...problems].sort((a, b) => rank(a) - rank(b))
}

/** A value whose input was refused never gets here: its problem was thrown above. */
function given<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('an input was refused without a problem')
  return value
}
