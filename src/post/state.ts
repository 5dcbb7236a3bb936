import * as core from '@actions/core'

/** What the main step hands its post step (the runner passes it on as STATE_* variables). */
export interface PostState {
  /** `<run id>-<attempt>`, as the run's containers are labelled. */
  readonly run: string
  readonly repository: string
  /** The run's own folder under RUNNER_TEMP; empty when the run made none. */
  readonly workDir: string
  /** Registries the run logs in to (registry-username): logged out even when it was killed. */
  readonly loggedIn: readonly string[]
}

const KEYS = {
  run: 'run',
  repository: 'repository',
  workDir: 'work-dir',
  loggedIn: 'logged-in',
} as const

/** The run attempt's label value: `<run id>-<attempt>`. */
export const runLabel = (runId: string, attempt: string): string => `${runId}-${attempt}`

/** Saved as soon as the run has a folder: a kill a moment later still leaves it to the post step. */
export function rememberForPost(state: PostState): void {
  core.saveState(KEYS.run, state.run)
  core.saveState(KEYS.repository, state.repository)
  core.saveState(KEYS.workDir, state.workDir)
  core.saveState(KEYS.loggedIn, state.loggedIn.join('\n'))
}

/**
 * What the post step cleans up: what the main step saved, else (killed before it saved
 * anything) the run attempt and repository the runner names.
 */
export function postState(env: NodeJS.ProcessEnv): PostState {
  const saved = (key: string): string => env[`STATE_${key}`] ?? ''
  return {
    run: saved(KEYS.run) || runLabel(env.GITHUB_RUN_ID ?? '0', env.GITHUB_RUN_ATTEMPT ?? '1'),
    repository: saved(KEYS.repository) || (env.GITHUB_REPOSITORY ?? ''),
    workDir: saved(KEYS.workDir),
    loggedIn: saved(KEYS.loggedIn)
      .split('\n')
      .filter((r) => r !== ''),
  }
}
