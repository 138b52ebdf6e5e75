/**
 * CloudWatch's errors. CloudWatch is an `awsQueryCompatible` service (CONSOLE-SPEC §2.4.1): every
 * error has a query-protocol code (`InvalidParameterValue`) beside its shape name
 * (`InvalidParameterValueException`); the JSON and CBOR protocols carry the shape in `__type` and
 * the code in the `x-amzn-query-error: {code};{Sender|Receiver}` header, from which botocore and the
 * SDKs take the code they report.
 */
export class CloudWatchError extends Error {
  constructor(
    /** The query protocol's `<Code>` and the `x-amzn-query-error` code. */
    readonly code: string,
    /** The model's error shape (`__type`), or the code for errors the model does not declare. */
    readonly shape: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  get sender(): boolean {
    return this.status < 500;
  }
}

/** Recorded (moto's texts; §2.4.2). */
export const invalidParameterValue = (message: string) => new CloudWatchError('InvalidParameterValue', 'InvalidParameterValueException', message);
export const invalidParameterCombination = (message: string) =>
  new CloudWatchError('InvalidParameterCombination', 'InvalidParameterCombinationException', message);
export const missingParameter = (path: string) => new CloudWatchError('MissingParameter', 'MissingRequiredParameterException', `The parameter ${path} is required.`);
/** Coral's validation error: undeclared in the model, answered for GetMetricData's limits (moto, §2.4.2). */
export const validationError = (message: string) => new CloudWatchError('ValidationError', 'ValidationError', message);
export const invalidNextToken = (message = 'The service returned an invalid token.') => new CloudWatchError('InvalidNextToken', 'InvalidNextToken', message);
export const internalServiceFault = () => new CloudWatchError('InternalServiceError', 'InternalServiceFault', 'Internal service error.', 500);

/** Real AWS/Java SDK logs: "The collection MetricData.member.1.Values must not have a size greater than 150." */
export const collectionTooLarge = (path: string, max: number) => invalidParameterValue(`The collection ${path} must not have a size greater than ${max}.`);
/** moto's text for NaN and out-of-range values. */
export const invalidValue = (value: unknown, path: string) => invalidParameterValue(`The value ${String(value)} for parameter ${path} is invalid.`);
/** UNVERIFIED: AWS answers oversized POSTs with 413 RequestEntityTooLarge. */
export const requestTooLarge = (size: number, max: number) =>
  new CloudWatchError('RequestEntityTooLarge', 'RequestEntityTooLarge', `Request size ${size} exceeded ${max} bytes`, 413);
/** Unknown action (query) or operation (JSON/CBOR). UNVERIFIED text for the JSON and CBOR protocols. */
export const invalidAction = (action: string) =>
  new CloudWatchError('InvalidAction', 'InvalidAction', `The action ${action} is not valid for this web service.`);
/** A body that is not JSON / CBOR / a form. */
export const serializationError = () => new CloudWatchError('SerializationException', 'SerializationException', 'Failed to parse the request body.');
