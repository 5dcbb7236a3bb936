// The components input: several images released together, each a YAML mapping of its name, its
// image and any input that describes an image (platforms, context, smoke-run, …).
import { parse as parseYaml } from 'yaml'
import type { ImageBuild } from './input-types.js'
import { ACCEPTED_IMAGE, type ImageRepository } from './image-ref.js'
import { IMAGE_INPUTS, parseImageSettings, type ImageInput } from './image-inputs.js'
import { MAX_ENTRIES, type FieldContext, type InputSpec } from './input-kinds.js'
import { BUILD_SECRET_INPUTS } from './build-secrets.js'

export const ACCEPTED_COMPONENTS =
  'give a YAML list (inline, or the path of a .yml/.yaml file in the workspace) of entries with name, image, and optionally context, file, target, build-args, the build settings (build-contexts, labels, annotations, no-cache, pull, network, add-hosts, shm-size, ulimit), platforms and the smoke-* settings'

const COMPONENT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
/** A component's fields: its name, and every input that describes an image. */
const COMPONENT_FIELDS: readonly string[] = ['name', ...Object.keys(IMAGE_INPUTS)]

/** A YAML value as the text an input of the same name would hold. */
export function asInputText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map(asInputText).join('\n')
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${asInputText(v)}`)
      .join('\n')
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The components input: a YAML list, inline or the path of a YAML file; blank is none. */
export const COMPONENTS_INPUT: InputSpec<readonly unknown[] | undefined> = {
  kind: 'yaml',
  parse: (text, { report, readText }) => {
    if (text.trim() === '') return undefined
    let yamlText = text
    if (!text.includes('\n') && /\.ya?ml$/.test(text.trim())) {
      const fromFile = readText(text.trim())
      if (fromFile === undefined) {
        report(text, 'the file does not exist', ACCEPTED_COMPONENTS)
        return undefined
      }
      yamlText = fromFile
    }
    let entries: unknown
    try {
      entries = parseYaml(yamlText)
    } catch (error) {
      const first = error instanceof Error ? (error.message.split('\n')[0] ?? '') : ''
      report(text.slice(0, 80), `it is not YAML (${first})`, ACCEPTED_COMPONENTS)
      return undefined
    }
    if (!Array.isArray(entries) || entries.length === 0) {
      report(text.slice(0, 80), 'it is not a list of components', ACCEPTED_COMPONENTS)
      return undefined
    }
    if (entries.length > MAX_ENTRIES) {
      report(`${entries.length} entries`, 'there are too many', `give at most ${MAX_ENTRIES}`)
      return undefined
    }
    return entries as unknown[]
  },
}

/** The name a single-image release gives its only image: the repository's last path part. */
const imageName = (image: ImageRepository): string => image.path.split('/').pop() ?? image.path

/**
 * The images of the release: every component, or the one of the image input (the run's default
 * image when it is blank). `input` gives an input's text (a component's default), `at` the
 * context that names a problem's input.
 */
export function parseImages(
  input: (name: 'image' | 'components' | ImageInput) => string,
  components: readonly unknown[] | undefined,
  at: (label: string) => FieldContext,
  fallbackImage?: string,
): ImageBuild[] {
  const imageText = input('image').trim()
  if (input('components').trim() === '') {
    const given = imageText !== '' ? imageText : fallbackImage?.toLowerCase()
    const atImage = at('image')
    if (given === undefined)
      atImage.report(imageText, 'it is required (or components)', ACCEPTED_IMAGE)
    else if (imageText === '')
      atImage.notice(
        `not given: the image is ${given}, this repository's on GitHub's container registry`,
      )
    // A default that is not a valid name says where it came from.
    const context: FieldContext =
      imageText !== ''
        ? atImage
        : {
            ...atImage,
            report: (value, reason, accepted) => {
              atImage.report(
                '',
                `it is not given, and the default ${value} is not valid (${reason})`,
                `set image; ${accepted}`,
              )
            },
          }
    const repositories = IMAGE_INPUTS.image.parse(given ?? '', context)
    const settings = parseImageSettings(input, at)
    const [image] = repositories ?? []
    return image === undefined || repositories === undefined
      ? []
      : [{ name: imageName(image), image, repositories, ...settings }]
  }
  if (imageText !== '') {
    at('image').report(
      imageText,
      'it is set together with components',
      'give the image of each component in components, and leave image empty',
    )
  }
  const builds: ImageBuild[] = []
  for (const [index, entry] of (components ?? []).entries()) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      at(`components[${index}]`).report(
        asInputText(entry).slice(0, 80),
        'it is not a mapping',
        ACCEPTED_COMPONENTS,
      )
      continue
    }
    const build = parseComponent(entry as Record<string, unknown>, index, builds, input, at)
    if (build !== undefined) builds.push(build)
  }
  return builds
}

/** One component: its name and image, unique among the earlier ones, and its settings. */
function parseComponent(
  fields: Record<string, unknown>,
  index: number,
  earlier: readonly ImageBuild[],
  input: (name: ImageInput) => string,
  at: (label: string) => FieldContext,
): ImageBuild | undefined {
  const name = asInputText(fields.name).trim()
  const where = `components[${COMPONENT_NAME.test(name) ? name : index}]`
  for (const key of Object.keys(fields)) {
    if (key in BUILD_SECRET_INPUTS) {
      // A components file in the workspace must not pick the runner's secrets or files.
      at(`${where}.${key}`).report(
        '(hidden)',
        'build secrets are not a component field',
        `give ${key} as an input of the step: every component's build gets it`,
      )
    } else if (!COMPONENT_FIELDS.includes(key)) {
      at(`${where}.${key}`).report(
        asInputText(fields[key]).slice(0, 80),
        'it is not a component field',
        `use ${COMPONENT_FIELDS.join(', ')}`,
      )
    }
  }
  const { report } = at(`${where}.name`)
  if (!COMPONENT_NAME.test(name)) {
    report(
      name,
      'it is not a component name',
      'use lowercase letters, digits and dashes, such as api or web-ui',
    )
  } else if (earlier.some((b) => b.name === name)) {
    report(name, 'another component has this name', 'give each component its own name')
  }
  const imageText = asInputText(fields.image).trim()
  if (imageText === '') at(`${where}.image`).report(imageText, 'it is required', ACCEPTED_IMAGE)
  const repositories = IMAGE_INPUTS.image.parse(imageText, at(`${where}.image`)) ?? []
  const taken = repositories.filter((r) =>
    earlier.some((b) => b.repositories.some((other) => other.name === r.name)),
  )
  if (taken.length > 0) {
    at(`${where}.image`).report(
      taken.map((r) => r.name).join(', '),
      'another component has this image',
      'give each component its own repository',
    )
  }
  // A field the component does not set is the input of the same name.
  const settings = parseImageSettings(
    (field) => (field in fields ? asInputText(fields[field]) : input(field)),
    (field) => at(`${where}.${field}`),
  )
  const [image] = repositories
  return image === undefined ? undefined : { name, image, repositories, ...settings }
}
