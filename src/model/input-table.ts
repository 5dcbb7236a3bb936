// One entry per input of action.yml: its kind and its checks. The default is action.yml's own
// (action-inputs.generated.ts); adding an input is one entry here and its lines in action.yml.
import type { InputName } from './action-inputs.generated.js'
import type { Mode, PlatformDigest } from './input-types.js'
import { COMPONENTS_INPUT } from './components.js'
import { IMAGE_INPUTS } from './image-inputs.js'
import { SIGNING_INPUTS } from './signing.js'
import { BUILD_SECRET_INPUTS } from './build-secrets.js'
import { RELEASE_OPTION_INPUTS } from './release-options.js'
import { parsePlatform } from './platform.js'
import { givenTag } from './given-tags.js'
import { ACCEPTED_CHANNEL, ACCEPTED_VERSION, parseChannel, parseVersion } from './version.js'
import { ACCEPTED_RELEASE_BRANCHES } from './branch-policy.js'
import {
  MAX_ENTRIES,
  boolean,
  lines,
  list,
  oneOf,
  optional,
  optionalText,
  secretText,
  parsedBy,
  text,
  verbatim,
  type EntryParser,
  type FieldContext,
  type InputSpec,
  type TextRule,
} from './input-kinds.js'

const LABEL_PREFIX: TextRule = {
  pattern: /^\S*$/,
  reason: 'it holds white space',
  accepted: 'use a label prefix such as type: or release/',
}

const assetGlob: EntryParser<string> = (pattern, report) => {
  if (pattern.startsWith('/') || pattern.startsWith('~') || pattern.split(/[\\/]/).includes('..')) {
    report(
      pattern,
      'it reaches outside the workspace',
      'give globs relative to the workspace, such as dist/*.tar.gz',
    )
  }
  return pattern
}

const platformDigest: EntryParser<PlatformDigest> = (line, report) => {
  const match = /^(?:([^=\s]+)=)?(sha256:[0-9a-f]{64})$/.exec(line)
  const platform = match?.[1] === undefined ? undefined : parsePlatform(match[1])
  if (match && typeof platform !== 'string') return { platform, digest: match[2] ?? '' }
  report(
    line,
    typeof platform === 'string' ? platform : 'it is not a digest',
    'give one sha256:<64 hex> per line, optionally as linux/arm64=sha256:…, from the digest output of each build-platform run',
  )
  return undefined
}

const releaseBranch: EntryParser<string> = (pattern, report) => {
  if (/^[A-Za-z0-9._/*?{},!@+()-]+$/.test(pattern) && !pattern.startsWith('refs/')) return pattern
  report(pattern, 'it is not a branch name or glob', ACCEPTED_RELEASE_BRANCHES)
  return undefined
}

const initialVersion = {
  kind: 'version',
  parse: (value: string, { report }: FieldContext) => {
    const parsed = parseVersion(value.trim())
    if (typeof parsed !== 'string' && parsed.prerelease.length === 0) return parsed
    report(
      value.trim(),
      typeof parsed === 'string' ? parsed : 'it is a prerelease',
      'use a stable version such as 0.1.0 or 1.0.0',
    )
    return undefined
  },
} as const

/** The inputs read once per run; those that describe an image are IMAGE_INPUTS. */
export const RUN_INPUTS = {
  mode: oneOf<Mode>(['auto', 'build', 'release', 'build-platform', 'rollback', 'plan'], 'mode'),
  components: COMPONENTS_INPUT,
  channel: parsedBy('text', parseChannel, ACCEPTED_CHANNEL),
  version: optional(parsedBy('version', parseVersion, ACCEPTED_VERSION)),
  bump: oneOf(['auto', 'patch', 'minor', 'major'], 'bump'),
  'default-bump': oneOf(['patch', 'minor', 'major', 'none'], 'bump'),
  'release-branches': list(releaseBranch, { max: MAX_ENTRIES }),
  'tag-prefix': {
    ...text({
      pattern: /^[A-Za-z0-9._/-]*$/,
      reason: 'it is not usable in a git tag name',
      accepted: 'use letters, digits, . _ / -, for example v or app-v',
    }),
    // Blank is no prefix: tags such as 1.2.3.
    keepsBlank: true,
  },
  'initial-version': initialVersion,
  'image-tag-prefix': text({
    pattern: /^(?:\w[\w.-]{0,30})?$/,
    reason: 'it cannot start an image tag',
    accepted: 'use letters, digits, _ . -, starting with a letter or digit, for example v',
  }),
  tags: lines(givenTag, { max: MAX_ENTRIES }),
  'label-type-prefix': text(LABEL_PREFIX),
  'label-channel-prefix': text(LABEL_PREFIX),
  'release-assets': lines(assetGlob, { max: MAX_ENTRIES }),
  'release-oci-archives': boolean(),
  'release-notes': optional(verbatim()),
  ...RELEASE_OPTION_INPUTS,
  provenance: optionalText({
    pattern: /^(true|false|mode=(min|max)(,[a-z-]+=[^,\s]+)*)$/,
    reason: 'it is not a provenance setting',
    accepted: "leave it empty for buildx's default, or use true, false, mode=min or mode=max",
  }),
  'platform-digests': lines(platformDigest),
  sbom: optionalText({
    pattern: /^(true|false|generator=[^\s,]+)$/,
    reason: 'it is not an SBOM setting',
    accepted: "leave it empty for buildx's default, or use true, false or generator=<image>",
  }),
  cache: oneOf(['none', 'registry', 'gha'], 'cache'),
  'registry-username': text(),
  // A password is kept exactly as given.
  'registry-password': secretText(),
  ...SIGNING_INPUTS,
  ...BUILD_SECRET_INPUTS,
  builder: optionalText({
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    reason: 'it is not a buildx builder name',
    accepted:
      'give the name docker/setup-buildx-action reports (its name output), or leave it empty',
  }),
  'github-token': text(),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>

/** Every input of action.yml, one entry each. */
export const INPUTS = { ...RUN_INPUTS, ...IMAGE_INPUTS } satisfies Record<
  InputName,
  InputSpec<unknown>
>

export type RunInput = keyof typeof RUN_INPUTS
export type RunValues = { readonly [K in RunInput]: ReturnType<(typeof RUN_INPUTS)[K]['parse']> }

/** Parses every run input from its text, each problem named after its input. */
export function parseRunInputs(
  texts: Readonly<Record<InputName, string>>,
  at: (input: string) => FieldContext,
): RunValues {
  const values: Partial<Record<RunInput, unknown>> = {}
  for (const name of Object.keys(RUN_INPUTS) as RunInput[]) {
    const spec: InputSpec<unknown> = RUN_INPUTS[name]
    values[name] = spec.parse(texts[name], at(name))
  }
  return values as RunValues
}
