/**
 * Lambda functions as the family calls them (a Firehose transform, an Analytics UDF): by ARN,
 * synchronously (RequestResponse), with Lambda's result shapes. One interface, two
 * implementations side by side: `lambda-endpoint.ts` calls the Invoke API of any server that speaks
 * it (`--lambda-endpoint`), `local-modules.ts` runs `<dir>/<name>.mjs` in worker threads
 * (`--functions DIR`).
 */

export interface InvokeResult {
  /** The HTTP status Lambda's Invoke answers with: 200 for a run, even one whose function failed. */
  statusCode: number;
  /** The function's answer (or Lambda's error object when `functionError` is set), as bytes of JSON. */
  payload: Buffer;
  /** `Unhandled` when the function threw or timed out, as Lambda's X-Amz-Function-Error. */
  functionError?: 'Unhandled' | 'Handled';
  /** The version that ran. */
  executedVersion: string;
}

/** Invoke's status for a DryRun: the function exists and could run. */
export const DRY_RUN_STATUS = 204;

export interface InvokeOptions {
  signal?: AbortSignal;
  /** Only check that the function exists and could run (Invoke's DryRun): resolves with status 204. */
  dryRun?: boolean;
}

export interface FunctionInvoker {
  readonly kind: 'endpoint' | 'local' | 'none';
  /**
   * Invokes a function by name, partial or full ARN (with an optional version or alias).
   * Rejects with an InvokeError for what Lambda answers with an error status
   * (ResourceNotFoundException for a function that exists nowhere, TooManyRequestsException, …);
   * resolves for everything the function itself does, including throwing and timing out.
   */
  invoke(functionArn: string, payload: Buffer, options?: InvokeOptions): Promise<InvokeResult>;
  close(): Promise<void>;
}

/** An error of the Invoke API itself, with Lambda's error type and HTTP status. */
export class InvokeError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
    /** TooManyRequestsException's `Reason` (ConcurrentInvocationLimitExceeded, …), when Lambda gives one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = type;
  }
}
