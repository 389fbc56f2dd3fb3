/** The object does not exist, or belongs to another tenant (which callers must not learn). */
export class NotFoundError extends Error {
  override name = 'NotFoundError'
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} "${id}" was not found`)
  }
}

/** A uniqueness rule or a precondition on the current state was violated. */
export class ConflictError extends Error {
  override name = 'ConflictError'
}

export interface FieldError {
  field: string
  message: string
}

/** An input field is invalid; `field` names it as the caller spelled it, `others` any more. */
export class ValidationError extends Error {
  override name = 'ValidationError'
  constructor(
    readonly field: string,
    message: string,
    readonly others: readonly FieldError[] = [],
  ) {
    super(message)
  }
}

/** An update named a version (If-Match) that is no longer current. */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError'
}

/** The caller is authenticated but its token lacks a scope the operation needs. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError'
}
