// Types of plan-args.js (checked with // @ts-check), for the TypeScript tests that import it.
export interface ActionInput {
  readonly name: string
  readonly description: string
  readonly default: string | undefined
}

export interface PlanContext {
  readonly cwd: string
  readonly env: Record<string, string | undefined>
  readonly git: (dir: string, args: string[]) => string | undefined
}

export type PlanArgs =
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'plan'; env: Record<string, string>; workspace: string; json: boolean }

export const DEFAULT_API_URL: string
export const RUN_FLAGS: readonly (readonly [flag: string, value: string, text: string])[]
export function inputVariable(name: string): string
export function actionInputs(actionYml: string): ActionInput[]
export function helpText(inputs: readonly ActionInput[]): string
export function parsePlanArgs(
  argv: readonly string[],
  inputs: readonly ActionInput[],
  context: PlanContext,
): PlanArgs
export function childEnvironment(
  parent: Record<string, string | undefined>,
  plan: Record<string, string>,
): Record<string, string>
export function terminalLine(line: string): string | undefined
export function parseOutputFile(text: string): Record<string, string>
