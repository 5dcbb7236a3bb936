// src/model/action-inputs.generated.ts, generated from action.yml so the parser and the command
// line never keep a second copy of its inputs: `npm run docs` rewrites it, a unit test fails when
// it differs.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'
import type { ActionInput } from '../src/model/input-env.js'

export const GENERATED = 'src/model/action-inputs.generated.ts'

/** The inputs action.yml declares, in its order. */
export function actionInputs(actionYml: string): ActionInput[] {
  const action = parse(actionYml) as {
    inputs: Record<string, { description?: string; default?: unknown }>
  }
  return Object.entries(action.inputs).map(([name, spec]) => ({
    name,
    description: (spec.description ?? '').trim(),
    default:
      spec.default === undefined
        ? undefined
        : typeof spec.default === 'string'
          ? spec.default
          : JSON.stringify(spec.default),
  }))
}

/** The TypeScript module holding action.yml's inputs. */
export function renderActionInputs(actionYml: string): string {
  const entries = actionInputs(actionYml).map(
    (input) =>
      `  ${JSON.stringify(input.name)}: {\n` +
      `    default: ${input.default === undefined ? 'undefined' : JSON.stringify(input.default)},\n` +
      `    description: ${JSON.stringify(input.description)},\n  },\n`,
  )
  return [
    '// Generated from action.yml by `npm run docs` (scripts/action-inputs.ts): do not edit.',
    '',
    "/** action.yml's inputs, in its order: the default the runner passes, and the description. */",
    'export const ACTION_INPUTS = {',
    `${entries.join('')}} as const`,
    '',
    '/** The name of an input action.yml declares. */',
    'export type InputName = keyof typeof ACTION_INPUTS',
    '',
  ].join('\n')
}

if (process.argv[1]?.endsWith('action-inputs.ts')) {
  writeFileSync(GENERATED, renderActionInputs(readFileSync('action.yml', 'utf8')))
}
