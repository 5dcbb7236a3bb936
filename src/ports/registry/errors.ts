/**
 * This registry cannot be spoken to over HTTP from here the way Docker speaks to it (a CA
 * only the engine trusts, an insecure registry, a credential helper that fails): the caller
 * lets Docker's own client do it.
 */
export class HttpUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HttpUnavailable'
  }
}

/** An answer the registry gave: worth another try (5xx, 429) or a dropped connection. */
export class TransientHttpFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TransientHttpFailure'
  }
}

/** The credentials the registry refused (401 or 403 after authenticating). */
export class HttpUnauthorized extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HttpUnauthorized'
  }
}
