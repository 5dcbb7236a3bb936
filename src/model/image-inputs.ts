// The inputs that describe one image (what to build, how to smoke-test it): the single image takes
// them from the action's inputs, a component from its own fields, falling back to those inputs.
import type { ImageBuild } from './input-types.js'
import { ACTION_INPUTS, type InputName } from './action-inputs.generated.js'
import { IMAGE_NAMES } from './image-names.js'
import { BUILD_IMAGE_INPUTS } from './build-inputs.js'
import { ACCEPTED_PLATFORMS, formatPlatform, parsePlatform, type Platform } from './platform.js'
import {
  ACCEPTED_HTTP_EXPECT,
  ACCEPTED_SMOKE_HTTP,
  ACCEPTED_SMOKE_RUN,
  parseHttpExpectation,
  parseHttpProbeTarget,
  parseSmokeCommand,
} from './smoke.js'
import {
  MAX_ENTRIES,
  entryBy,
  keyValues,
  list,
  lines,
  optional,
  optionalText,
  parsedBy,
  text,
  timeouts,
  type EntryParser,
  type FieldContext,
  type InputSpec,
} from './input-kinds.js'

/** A remote context (git or HTTP URL) is fetched by buildx itself; a local one must be there. */
const isRemote = (context: string): boolean => /^(https?:\/\/|git@|git:\/\/)/.test(context)

const platform: EntryParser<Platform> = (entry, report, earlier) => {
  const parsed = parsePlatform(entry)
  if (typeof parsed === 'string') report(entry, parsed, ACCEPTED_PLATFORMS)
  else if (earlier.some((p) => formatPlatform(p) === formatPlatform(parsed)))
    report(entry, 'it is listed twice', 'list each platform once')
  else return parsed
  return undefined
}

const OUTSIDE =
  'give a path inside the workspace, relative to it; the build reads nothing outside the checkout'

/** The inputs a component can set too, in the order a component's fields are named to users. */
export const IMAGE_INPUTS = {
  // Required for a component; the single image has a default (image-names.ts).
  image: IMAGE_NAMES,
  context: {
    kind: 'text',
    parse: (value, { report, exists, inside }) => {
      // Blank is the workspace, in a component as in the input.
      const context = value.trim() || ACTION_INPUTS.context.default
      if (!isRemote(context) && !inside(context)) {
        report(context, 'it is outside the workspace', OUTSIDE)
      } else if (!isRemote(context) && !exists(context)) {
        report(
          context,
          'the folder does not exist',
          'give the build context folder, relative to the workspace',
        )
      }
      return context
    },
  } satisfies InputSpec<string>,
  // Blank is <context>/Dockerfile, which only the image's settings know.
  file: optional(text()),
  target: optionalText({
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    reason: 'it is not a build stage name',
    accepted: 'use the name of a FROM … AS <name> stage',
  }),
  'build-args': keyValues('give one NAME=value per line'),
  ...BUILD_IMAGE_INPUTS,
  platforms: list(platform, {
    max: MAX_ENTRIES,
    required: { reason: 'no platform is listed', accepted: ACCEPTED_PLATFORMS },
  }),
  'smoke-run': lines(entryBy(parseSmokeCommand, ACCEPTED_SMOKE_RUN), { max: MAX_ENTRIES }),
  'smoke-http': optional(parsedBy('text', parseHttpProbeTarget, ACCEPTED_SMOKE_HTTP)),
  'smoke-http-expect': parsedBy('text', parseHttpExpectation, ACCEPTED_HTTP_EXPECT),
  'smoke-env': keyValues('give one KEY=value per line'),
  'smoke-timeout': timeouts(ACTION_INPUTS['smoke-timeout'].default),
} satisfies Partial<Record<InputName, InputSpec<unknown>>>

export type ImageInput = keyof typeof IMAGE_INPUTS
type ImageValue<K extends ImageInput> = ReturnType<(typeof IMAGE_INPUTS)[K]['parse']>

/**
 * The build and smoke settings of one image. `text` gives a field's text (the input's, or the
 * component's), `at` the context that names it in problems.
 */
export function parseImageSettings(
  text: (field: ImageInput) => string,
  at: (field: ImageInput) => FieldContext,
): Omit<ImageBuild, 'name' | 'image' | 'repositories'> {
  const field = <K extends ImageInput>(name: K): ImageValue<K> =>
    IMAGE_INPUTS[name].parse(text(name), at(name)) as ImageValue<K>

  const context = field('context')
  const given = field('file')
  const file = given ?? `${context.replace(/\/+$/, '')}/Dockerfile`
  const { exists, inside, report } = at('file')
  // A Dockerfile outside the checkout is refused whether or not it exists (the default one
  // of a context outside is the context's problem).
  if (!isRemote(context) && !inside(file) && (given !== undefined || inside(context)))
    report(file, 'it is outside the workspace', OUTSIDE)
  else if (!isRemote(context) && inside(context) && exists(context) && !exists(file)) {
    report(
      file,
      'the Dockerfile does not exist',
      'give the Dockerfile path, relative to the workspace (default <context>/Dockerfile)',
    )
  }
  const target = field('target')
  const buildArgs = field('build-args')
  const platforms = field('platforms')
  const buildx = {
    buildContexts: field('build-contexts'),
    labels: field('labels'),
    annotations: field('annotations'),
    noCache: field('no-cache') ?? false,
    pull: field('pull') ?? false,
    network: field('network'),
    addHosts: field('add-hosts'),
    shmSize: field('shm-size'),
    ulimits: field('ulimit'),
  }

  const run = field('smoke-run')
  const probe = field('smoke-http')
  const expect = field('smoke-http-expect')
  const expectText = text('smoke-http-expect').trim()
  if (text('smoke-http').trim() === '' && expectText !== '') {
    at('smoke-http-expect').report(
      expectText,
      'it is set but smoke-http is not',
      'set smoke-http too, or remove it',
    )
  }
  const http = probe !== undefined && expect !== undefined ? { ...probe, expect } : undefined
  const env = field('smoke-env')
  const timeout = field('smoke-timeout')
  return {
    platforms,
    context,
    file,
    target,
    buildArgs,
    ...buildx,
    smoke: { run, http, env, timeout },
  }
}
