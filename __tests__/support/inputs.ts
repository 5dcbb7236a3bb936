// Parsing inputs as the runner passes them, for the model's unit tests: values over action.yml's
// defaults, and the problems of a refused run as `input: value: reason; accepted` lines.
import { InputError } from '../../src/model/errors.js'
import type { RunnerRepository } from '../../src/model/image-names.js'
import {
  INPUT_DEFAULTS,
  parseInputs,
  type ImageBuild,
  type Inputs,
} from '../../src/model/inputs.js'

export interface ParseOptions {
  /** Whether a workspace path exists (default: every one does). */
  readonly exists?: (path: string) => boolean
  /** The repository the run is in (default: none, so image has no default). */
  readonly runner?: RunnerRepository
  /** Whether a path stays inside the workspace (default: by its spelling). */
  readonly inside?: (path: string) => boolean
}

/** Parses the given values; every other input is action.yml's default. */
export function parseValues(values: Record<string, string>, options: ParseOptions = {}): Inputs {
  return parseInputs(
    (name) => values[name] ?? INPUT_DEFAULTS[name] ?? '',
    options.exists,
    undefined,
    options.inside,
    options.runner,
  )
}

/** The problems of a refused run, one line each; [] when it is accepted. */
export function problemsOf(values: Record<string, string>, options: ParseOptions = {}): string[] {
  try {
    parseValues(values, options)
  } catch (error) {
    if (error instanceof InputError)
      return error.problems.map((p) => `${p.input}: ${p.value}: ${p.accepted}`)
    throw error
  }
  return []
}

/** The only image of a single-image release. */
export function onlyImage(inputs: Inputs): ImageBuild {
  const [first] = inputs.components
  if (!first) throw new Error('no image')
  return first
}
