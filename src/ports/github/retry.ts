import type { Octokit } from '@octokit/rest'
import pRetry from 'p-retry'

/** Answers a retry cannot cure (those @octokit/plugin-retry leaves alone too). */
const FINAL_STATUSES = [400, 401, 403, 404, 410, 422, 451]

/** How long a call made after the job was cancelled may take: the run's last bookkeeping. */
export const GRACE_MS = 2_000

export interface GitHubRetryOptions {
  /** Further attempts after the first. */
  readonly retries: number
  /** The first wait; the next ones are 3 and 9 times as long. */
  readonly backoffMs: number
  /** The job's cancellation. */
  readonly signal?: AbortSignal
  readonly warn: (message: string) => void
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

/**
 * Retries every request of an Octokit on 5xx, 429 and dropped connections (Octokit reports
 * those as 500). The waits are p-retry's, which the job's cancellation ends at once, with the
 * request in flight; @octokit/plugin-retry's waits are timers nothing can end. A call made
 * after the cancellation gets one attempt within GRACE_MS, so the run can still give back its
 * release lease, and never waits on a retry.
 */
export function retryRequests(octokit: Octokit, options: GitHubRetryOptions): void {
  const { signal } = options
  octokit.hook.wrap('request', async (request, requestOptions) => {
    // Set on the options themselves: the hooks inside this one (auth) were bound to them.
    if (signal?.aborted) {
      requestOptions.request = { ...requestOptions.request, signal: AbortSignal.timeout(GRACE_MS) }
      return request(requestOptions)
    }
    if (signal) requestOptions.request = { ...requestOptions.request, signal }
    return pRetry(() => request(requestOptions), {
      retries: options.retries,
      minTimeout: options.backoffMs,
      factor: 3,
      ...(signal ? { signal } : {}),
      shouldRetry: ({ error }) => {
        const status = statusOf(error)
        return status !== undefined && status >= 400 && !FINAL_STATUSES.includes(status)
      },
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        const status = statusOf(error)
        if (retriesLeft > 0 && status !== undefined && !FINAL_STATUSES.includes(status)) {
          options.warn(
            `GitHub API ${requestOptions.method} ${requestOptions.url}: attempt ${attemptNumber} failed (${status}); retrying`,
          )
        }
      },
    })
  })
}
