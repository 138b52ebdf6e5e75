import { AwsError } from '../../protocol/errors.js';

/**
 * The console API's errors: `{ error, message }` with an HTTP status. Errors of the domain
 * (AwsError: a stream not found, a split key out of range) keep AWS's exception name and text,
 * so the console says what the SDK would.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badParameter = (message: string) => new ApiError(400, 'InvalidParameter', message);
export const notFound = (message: string) => new ApiError(404, 'NotFound', message);

/** The status and body of any error a handler throws; undefined for a fault (answered 500 and logged). */
export function errorBody(err: unknown): { status: number; body: { error: string; message: string } } | undefined {
  if (err instanceof ApiError) return { status: err.status, body: { error: err.code, message: err.message } };
  if (err instanceof AwsError) {
    const status = err.type === 'ResourceNotFoundException' ? 404 : err.status;
    if (status >= 500) return undefined;
    return { status, body: { error: err.type, message: err.message } };
  }
  return undefined;
}
