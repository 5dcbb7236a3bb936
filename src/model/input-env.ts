import { ACTION_INPUTS, type InputName } from './action-inputs.generated.js'

/** The variable the runner passes an input in, as @actions/core reads it: INPUT_SMOKE-RUN. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** The default of an input, as action.yml declares it; undefined for none or an expression. */
export function declaredDefault(name: InputName): string | undefined {
  const value: string | undefined = ACTION_INPUTS[name].default
  return value?.includes('${{') ? undefined : value
}

/** Defaults, as action.yml declares them (an expression such as ${{ github.token }} is the runner's). */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries(
  (Object.keys(ACTION_INPUTS) as InputName[]).flatMap((name) => {
    const value = declaredDefault(name)
    return value === undefined ? [] : [[name, value]]
  }),
)

/** Reads an input by name: the runner passes them as INPUT_<NAME> variables. */
export type InputReader = (name: string) => string

export function envInputReader(env: NodeJS.ProcessEnv): InputReader {
  // The runner passes the action.yml default when an input is not given; an empty value stays empty.
  return (name) => env[inputVariable(name)] ?? INPUT_DEFAULTS[name] ?? ''
}

/** An input as action.yml declares it. */
export interface ActionInput {
  readonly name: string
  readonly description: string
  /** As action.yml gives it (an expression such as ${{ github.token }} included); undefined: none. */
  readonly default: string | undefined
}

/** action.yml's inputs, in its order. */
export const ACTION_INPUT_LIST: readonly ActionInput[] = Object.entries(ACTION_INPUTS).map(
  ([name, input]) => ({ name, description: input.description, default: input.default }),
)
