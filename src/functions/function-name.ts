import { InvokeError } from './invoker.js';

/**
 * A function as Invoke's FunctionName names it: `name`, `name:qualifier`,
 * `ACCOUNT:function:name[:qualifier]` or `arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`.
 */
export interface FunctionName {
  name: string;
  region: string;
  account: string;
  /** A version or alias; undefined when the caller gave none. */
  qualifier?: string;
  /** `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME`, without the qualifier. */
  arn: string;
  /** The ARN the caller invoked, with its qualifier: what a handler sees as context.invokedFunctionArn. */
  invokedArn: string;
}

/**
 * NamespacedFunctionName in Lambda's model (botocore lambda/2015-03-31 service-2.json): its
 * pattern, printed verbatim in the ValidationException, and its length bounds.
 */
export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
const FUNCTION_NAME_REGEX = new RegExp(`^(?:${FUNCTION_NAME_PATTERN})$`);
export const FUNCTION_NAME_MAX_LENGTH = 256;

/** The version every unpublished function runs, and the one a local module always is. */
export const LATEST = '$LATEST';

/** Lambda's 404 for a function, version or alias that does not exist (recorded: aws-cli and SDK reports). */
export function functionNotFound(fn: FunctionName): InvokeError {
  const arn = fn.qualifier ? `${fn.arn}:${fn.qualifier}` : fn.arn;
  return new InvokeError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
}

/**
 * Splits a FunctionName as Lambda reads it; region and account default to the caller's. Names
 * outside the model's pattern get Lambda's ValidationException.
 */
export function parseFunctionName(raw: string, defaults: { region: string; account: string }): FunctionName {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new InvokeError(
      'ValidationException',
      "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null",
      400,
    );
  }
  if (raw.length > FUNCTION_NAME_MAX_LENGTH) {
    throw new InvokeError(
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to ${FUNCTION_NAME_MAX_LENGTH}`,
      400,
    );
  }
  const invalid = () =>
    new InvokeError(
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`,
      400,
    );
  if (!FUNCTION_NAME_REGEX.test(raw)) throw invalid();
  // The pattern alone is ambiguous ("a:b" is a name and a qualifier); split on colons by shape.
  const parts = raw.split(':');
  let partition = 'aws';
  let region = defaults.region;
  let account = defaults.account;
  let rest: string[];
  if (parts[0] === 'arn') {
    // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    if (parts.length < 7 || parts.length > 8 || parts[2] !== 'lambda' || parts[5] !== 'function') throw invalid();
    partition = parts[1] || 'aws';
    region = parts[3];
    account = parts[4];
    rest = parts.slice(6);
  } else if (parts.length >= 3 && parts[1] === 'function' && /^\d{12}$/.test(parts[0])) {
    account = parts[0];
    rest = parts.slice(2);
  } else if (parts.length >= 3 && parts[2] === 'function' && /^\d{12}$/.test(parts[1])) {
    // REGION:ACCOUNT:function:NAME, which the pattern also admits.
    region = parts[0];
    account = parts[1];
    rest = parts.slice(3);
  } else {
    rest = parts;
  }
  if (rest.length < 1 || rest.length > 2 || !rest[0]) throw invalid();
  const [name, qualifier] = rest;
  const arn = `arn:${partition}:lambda:${region}:${account}:function:${name}`;
  return { name, region, account, qualifier, arn, invokedArn: qualifier ? `${arn}:${qualifier}` : arn };
}
