import { ACTION_INPUTS, type InputName } from './action-inputs.generated.js'
import { parseImages } from './components.js'
import { InputError, type InputProblem } from './errors.js'
import { MAX_INPUT_LENGTH, insideByName, type FieldContext, type InputSpec } from './input-kinds.js'
import { declaredDefault, type InputReader } from './input-env.js'
import { INPUTS, parseRunInputs, type RunValues } from './input-table.js'
import { defaultImage, type RunnerRepository } from './image-names.js'
import type { ImageBuild, Inputs } from './input-types.js'
import { formatPlatform } from './platform.js'
import { signingOf } from './signing.js'
import { buildSecretsOf } from './build-secrets.js'
import { extraTagsOf } from './given-tags.js'
import { releaseOptionsOf } from './release-options.js'

export { INPUT_DEFAULTS, envInputReader, type InputReader } from './input-env.js'
export { MAX_INPUT_LENGTH, splitLines, splitList, type KeyValue } from './input-kinds.js'
export { ACCEPTED_COMPONENTS } from './components.js'
export type { Signing } from './signing.js'
export type { MakeLatest, ReleaseOptions } from './release-options.js'
export type {
  Annotation,
  AnnotationLevel,
  HostEntry,
  NamedContext,
  Ulimit,
} from './build-inputs.js'
export type {
  BuildSecrets,
  SecretEnv,
  SecretFile,
  SecretValue,
  SshSource,
} from './build-secrets.js'
export type { ImageBuild, Inputs, Mode, PlatformDigest, SmokeSettings } from './input-types.js'

/**
 * Parses every input; collects every problem and throws them together as one InputError,
 * so a user fixes all of them in one go.
 */
export function parseInputs(
  reader: InputReader,
  exists: (path: string) => boolean = () => true,
  readText: (path: string) => string | undefined = () => undefined,
  inside: (path: string) => boolean = insideByName,
  runner: RunnerRepository = { owner: '', repo: '', serverUrl: '' },
): Inputs {
  const problems: InputProblem[] = []
  const notices: string[] = []
  const at = (input: string): FieldContext => ({
    report: (value, reason, accepted) => {
      problems.push({ input, value, accepted: `${reason}; ${accepted}` })
    },
    notice: (message) => {
      notices.push(`Input '${input}': ${message}`)
    },
    exists,
    inside,
    readText,
  })
  const texts = readInputs(reader, at)
  const values = parseRunInputs(texts, at)
  const components = parseImages((name) => texts[name], values.components, at, defaultImage(runner))
  checkTogether(values, texts, components, at)
  const signing = signingOf(values, at)
  const buildSecrets = buildSecretsOf(values, at)
  const extraTags = extraTagsOf(values.tags, components, at('tags'))
  const releaseOptions = releaseOptionsOf(values, at)
  if (problems.length > 0) throw new InputError(inActionOrder(problems))

  return {
    notices,
    mode: given(values.mode),
    components,
    channel: given(values.channel),
    version: values.version,
    bump: given(values.bump),
    githubToken: values['github-token'],
    releaseAssets: values['release-assets'],
    releaseNotes: values['release-notes'],
    releaseOptions,
    provenance: values.provenance,
    defaultBump: given(values['default-bump']),
    tagPrefix: values['tag-prefix'],
    initialVersion: given(values['initial-version']),
    tagScheme: { imageTagPrefix: values['image-tag-prefix'], extra: extraTags },
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
    buildSecrets,
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
    const spec: InputSpec<unknown> = INPUTS[name]
    // A value this long is a mistake (or an attack), never a configuration.
    if (value.length > MAX_INPUT_LENGTH) {
      at(name).report(
        spec.sensitive === true ? '(hidden)' : `${value.slice(0, 40)}…`,
        `it is ${value.length} characters long`,
        `keep it under ${MAX_INPUT_LENGTH} characters`,
      )
      value = ''
    }
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
