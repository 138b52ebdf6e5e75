/**
 * An error that reaches the client as an AWS-shaped response (KINESIS-SPEC §1.5).
 * `type` is the bare exception name; `status` the HTTP status; SerializationException spells its
 * message key with a capital M, every other exception with a lower-case one.
 */
export class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  /** False for errors AWS sends without any message member, e.g. `{"__type":"InternalFailure"}`. */
  readonly hasMessage: boolean;

  constructor(type: string, message?: string, status = 400) {
    super(message ?? type);
    this.type = type;
    this.status = status;
    this.hasMessage = message !== undefined;
  }

  /** The error body as a plain object, before encoding. */
  toBody(): Record<string, unknown> {
    if (!this.hasMessage) return { __type: this.type };
    const key = this.type === 'SerializationException' ? 'Message' : 'message';
    return { __type: this.type, [key]: this.message };
  }
}

export const serializationError = (message?: string) => new AwsError('SerializationException', message);
export const validationError = (message: string) => new AwsError('ValidationException', message);
export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message);
export const resourceNotFound = (message: string) => new AwsError('ResourceNotFoundException', message);
export const resourceInUse = (message: string) => new AwsError('ResourceInUseException', message);
export const limitExceeded = (message: string) => new AwsError('LimitExceededException', message);
export const unknownOperation = () => new AwsError('UnknownOperationException');
/** Unexpected failures: 500 with no message, as AWS answers them (§1.5). */
export const internalFailure = () => new AwsError('InternalFailure', undefined, 500);
/** A store that cannot be reached: retryable by every SDK (they retry 503). */
export const serviceUnavailable = (message: string) => new AwsError('ServiceUnavailable', message, 503);
