// The errors GitHub answers with, as the stand-in raises them from its rules.

/** An error GitHub would answer with: status and JSON body (documentation_url added later). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`)
  }
}

export const notFound = (): ApiError => new ApiError(404, { message: 'Not Found' })

/** A plain 422 whose only content is GitHub's message. */
export const unprocessable = (message: string): ApiError => new ApiError(422, { message })

export function validationFailed(resource: string, code: string, field: string): ApiError {
  return new ApiError(422, { message: 'Validation Failed', errors: [{ resource, code, field }] })
}

/** A model validation GitHub words itself (`code: custom`); some carry no field. */
export function customInvalid(resource: string, message: string, field?: string): ApiError {
  const error = { resource, code: 'custom', ...(field !== undefined && { field }), message }
  return new ApiError(422, { message: 'Validation Failed', errors: [error] })
}
