import pRetry from 'p-retry'

/** Registry and network failures worth another try: 5xx, 429, dropped connections. */
export const TRANSIENT_FAILURE =
  /\b(50[0-9]|429)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Too Many Requests|toomanyrequests|connection reset|connection refused|i\/o timeout|unexpected EOF|TLS handshake timeout/i

export interface RetryPolicy {
  /** Further attempts after the first. */
  readonly retries: number
  readonly minTimeoutMs: number
  readonly maxTimeoutMs: number
  /** The job's cancellation: a wait between attempts ends at once, and no attempt follows. */
  readonly signal?: AbortSignal
}

/** Four retries, waiting about 1, 2, 4 and 8 backoff units (capped at 8 units). */
export function retryPolicy(backoffMs: number, signal?: AbortSignal): RetryPolicy {
  return {
    retries: 4,
    minTimeoutMs: backoffMs / 2,
    maxTimeoutMs: backoffMs * 8,
    ...(signal ? { signal } : {}),
  }
}

export const DEFAULT_RETRY: RetryPolicy = retryPolicy(1000)

/** What a retried attempt must tell: whether it failed, and its error output. */
export interface AttemptResult {
  readonly exitCode: number
  readonly stderr: string
}

class TransientFailure<T extends AttemptResult> extends Error {
  constructor(readonly result: T) {
    super(result.stderr.trim().split('\n').pop() ?? 'transient failure')
  }
}

/**
 * Runs a command again, with exponential backoff, while it fails in a way that a retry can
 * cure; every retry is logged. Returns the last result, successful or not; a cancellation
 * of the job ends the wait and throws Cancelled.
 */
export async function retryCommand<T extends AttemptResult>(
  what: string,
  attempt: () => Promise<T>,
  warn: (message: string) => void,
  policy: RetryPolicy = DEFAULT_RETRY,
  isTransient: (result: T) => boolean = (r) => TRANSIENT_FAILURE.test(r.stderr),
): Promise<T> {
  try {
    return await pRetry(
      async () => {
        const result = await attempt()
        if (result.exitCode !== 0 && isTransient(result)) throw new TransientFailure(result)
        return result
      },
      {
        retries: policy.retries,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        ...(policy.signal ? { signal: policy.signal } : {}),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0) {
            warn(`${what}: attempt ${attemptNumber} failed (${error.message}); retrying`)
          }
        },
      },
    )
  } catch (error) {
    if (error instanceof TransientFailure) return error.result as T
    throw error
  }
}
