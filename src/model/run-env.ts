import { readFileSync } from 'node:fs'

/** What the runner tells the action about this run, read once from its environment. */
export interface RunEnvironment {
  readonly eventName: string
  readonly sha: string
  readonly ref: string
  readonly owner: string
  readonly repo: string
  readonly runId: string
  readonly runAttempt: string
  readonly serverUrl: string
  readonly apiUrl: string
  readonly workspace: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly tempDir: string
  /** The runner's tool cache (RUNNER_TOOL_CACHE): it outlives the job; '' when there is none. */
  readonly toolCache: string
  /** The first wait before retrying a registry or GitHub call; later waits grow from it. */
  readonly backoffMs: number
  /** GitHub hands this job an OIDC token (permissions: id-token: write), as keyless signing needs. */
  readonly oidc: boolean
  /** How long the release lease lasts unrenewed: a run that dies holding it blocks others this long. */
  readonly leaseTtlMs: number
  /** How long a run waits for another run's release lease. */
  readonly leaseWaitMs: number
}

/** owner/name, as GITHUB_REPOSITORY and the command line give a repository. */
export const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/

export const ACCEPTED_REPOSITORY = 'GITHUB_REPOSITORY must be owner/name, as the runner sets it'

/** Reads the runner's GITHUB_* variables and the event payload file. */
export function readRunEnvironment(env: NodeJS.ProcessEnv): RunEnvironment {
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (repository !== '' && !REPOSITORY.test(repository)) {
    throw new Error(
      `GITHUB_REPOSITORY ${JSON.stringify(repository.slice(0, 100))} is not owner/name`,
    )
  }
  const [owner = '', repo = ''] = repository.split('/')
  let payload: Record<string, unknown> = {}
  const eventPath = env.GITHUB_EVENT_PATH
  if (eventPath !== undefined && eventPath !== '') {
    try {
      payload = JSON.parse(readFileSync(eventPath, 'utf8')) as Record<string, unknown>
    } catch (error) {
      throw new Error(
        `GITHUB_EVENT_PATH ${eventPath} could not be read as JSON (${error instanceof Error ? error.message : String(error)})`,
      )
    }
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    owner,
    repo,
    runId: env.GITHUB_RUN_ID ?? '0',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    payload,
    tempDir: env.RUNNER_TEMP ?? '',
    toolCache: env.RUNNER_TOOL_CACHE ?? '',
    // Only the project's own tests shorten it, to exercise retries without waiting.
    backoffMs: Number(env.MULTIARCH_RELEASE_BACKOFF_MS ?? '') || 1000,
    oidc:
      (env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '') !== '' &&
      (env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '') !== '',
    // Only the project's own tests shorten them, to force expiries without waiting minutes.
    leaseTtlMs: Number(env.MULTIARCH_RELEASE_LEASE_TTL_MS ?? '') || 120_000,
    leaseWaitMs: Number(env.MULTIARCH_RELEASE_LEASE_WAIT_MS ?? '') || 900_000,
  }
}
