import { InvokeError } from './invoker.js';

/**
 * Lambda's limits on a synchronous (RequestResponse) invocation and the texts it answers with when
 * one is passed. Quotas: docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * ("Invocation payload (request and response): 6 MB each for synchronous").
 */

/** Largest request body Invoke accepts (6 MiB). */
export const INVOKE_REQUEST_LIMIT_BYTES = 6_291_456;

/**
 * Recorded wire answer for a larger one: 413, x-amzn-ErrorType RequestEntityTooLargeException (Java
 * SDK "Error Code: RequestEntityTooLargeException", botocore "when calling the Invoke operation";
 * awslabs/aws-athena-query-federation#793, pelmers/streetwarp-web#14). The model names the shape
 * RequestTooLargeException; the service sends the other name.
 */
export const REQUEST_TOO_LARGE_TYPE = 'RequestEntityTooLargeException';
export const REQUEST_TOO_LARGE_MESSAGE = `Request must be smaller than ${INVOKE_REQUEST_LIMIT_BYTES} bytes for the InvokeFunction operation`;

export function requestTooLarge(): InvokeError {
  return new InvokeError(REQUEST_TOO_LARGE_TYPE, REQUEST_TOO_LARGE_MESSAGE, 413);
}

/** Largest response a function may return: 6 MiB plus 100 bytes, as Lambda prints it. */
export const INVOKE_RESPONSE_LIMIT_BYTES = 6_291_556;

/**
 * A larger response: the invocation still answers 200, with X-Amz-Function-Error Unhandled and this
 * payload (recorded: DataBiosphere/azul#7466, umihico/pythonista-chromeless#11).
 */
export const RESPONSE_TOO_LARGE_TYPE = 'Function.ResponseSizeTooLarge';
export const RESPONSE_TOO_LARGE_MESSAGE = `Response payload size exceeded maximum allowed payload size (${INVOKE_RESPONSE_LIMIT_BYTES} bytes).`;

/**
 * Throttling when every execution environment is busy: 429 TooManyRequestsException with this
 * message and a Reason (recorded: "Rate Exceeded." from Invoke, alexcasalboni/aws-lambda-power-tuning#133;
 * Reason values from the model's ThrottleReason enum).
 */
export const TOO_MANY_REQUESTS_MESSAGE = 'Rate Exceeded.';
export const CONCURRENCY_THROTTLE_REASON = 'ConcurrentInvocationLimitExceeded';

export function tooManyRequests(): InvokeError {
  return new InvokeError('TooManyRequestsException', TOO_MANY_REQUESTS_MESSAGE, 429, CONCURRENCY_THROTTLE_REASON);
}

/**
 * A payload that is not JSON: 400 InvalidRequestContentException. Lambda's prefix is recorded
 * (alexcasalboni/aws-lambda-power-tuning#148); the detail after it is Jackson's parser message there
 * and V8's here.
 */
export const INVALID_PAYLOAD_PREFIX = 'Could not parse request body into json: Could not parse payload into json: ';

export function invalidPayload(detail: string): InvokeError {
  return new InvokeError('InvalidRequestContentException', INVALID_PAYLOAD_PREFIX + detail, 400);
}

/** The payload a function that ran out of time answers with (recorded from nodejs runtimes in 2025: Unhandled, 200). */
export function timedOutPayload(requestId: string, timeoutMs: number): string {
  return JSON.stringify({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  });
}

/**
 * The payload when the runtime process ended under an invocation (a handler calling process.exit):
 * Lambda's Runtime.ExitError texts.
 */
export function exitedPayload(requestId: string, exitCode: number): string {
  const detail = exitCode === 0 ? 'Runtime exited without providing a reason' : `Runtime exited with error: exit status ${exitCode}`;
  return JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: ${detail}` });
}
