/**
 * S3 prefixes and their `!{namespace:value}` expressions (FIREHOSE-SPEC §8.2–8.3): parsing, the
 * Create/Update-time checks with AWS's texts, and evaluation for one object. Pure: no I/O.
 *
 * A prefix is parsed once and kept (parsing is per configuration, evaluation per object).
 */
import { randomUUID } from 'node:crypto';
import { compileTimestampPattern, TimestampPatternError } from './timestamp-format.js';

export type ErrorOutputType = 'processing-failed' | 'AmazonOpenSearchService-failed' | 'elasticsearch-failed' | 'splunk-failed'
  | 'format-conversion-failed' | 'http-endpoint-failed' | 'activePartitionExceeded';

// ---------------------------------------------------------------------------------------------
// Limits and texts

/** §8.3 rule 6: neither prefix may be longer than this once evaluated. */
export const MAX_EVALUATED_PREFIX_LENGTH = 512;

/** §8.2: `!{firehose:random-string}` is 11 characters. */
export const RANDOM_STRING_LENGTH = 11;

/**
 * §8.3 rule 2: the default prefix, appended by literal concatenation (§1 fact 8) to a Prefix that has
 * no `timestamp` expression, and used alone when Prefix is unspecified.
 */
export const DEFAULT_TIMESTAMP_PATTERN = 'yyyy/MM/dd/HH/';

/**
 * §8.3 rule 2: a Prefix whose only expressions are `!{firehose:random-string}` still gets the
 * default timestamp appended, as the documented rule says ("doesn't contain a timestamp namespace
 * expression"); floci appends nothing there. Which one AWS does is UNVERIFIED.
 */
export const APPEND_TIMESTAMP_TO_RANDOM_STRING_ONLY_PREFIX = true;

/**
 * The opening AWS gives its prefix-rule violations; the typo is AWS's (recorded,
 * terraform-provider-aws#13416, serverless#6015). Only the rule-4 constraint text below is
 * recorded; the other constraints reuse the opening with AWS-style wording (UNVERIFIED).
 */
const prefixConstraint = (constraint: string) => `Ths supplied prefix(es) do not satisfy the following constraint: ${constraint}`;

/** §8.3 rule 4 — recorded, typo included. */
export const ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE = prefixConstraint('ErrorOutputPrefix cannot be null or empty when Prefix contains expressions');
/** §8.3 rule 3 — UNVERIFIED text. */
export const INVALID_EXPRESSION_MESSAGE = (expression: string) =>
  prefixConstraint(`The sequence !{ can only appear in !{namespace:value} expressions with a valid namespace (firehose, timestamp, partitionKeyFromQuery, partitionKeyFromLambda): ${expression}`);
/**
 * §8.2: a `!{timestamp:…}` pattern AWS's DateTimeFormatter would refuse, or one outside Millrace's
 * subset. AWS refuses bad patterns at create (per floci's notes); the text is UNVERIFIED.
 */
export const INVALID_TIMESTAMP_PATTERN_MESSAGE = (pattern: string, reason: string) =>
  prefixConstraint(`The timestamp namespace value '${pattern}' must be a valid DateTimeFormatter pattern (${reason})`);
/** §8.3 rule 5 — UNVERIFIED text. */
export const ERROR_OUTPUT_TYPE_REQUIRED_MESSAGE = prefixConstraint('ErrorOutputPrefix must contain at least one instance of !{firehose:error-output-type} when it contains expressions');
/** §8.3 rule 5 — UNVERIFIED text. */
export const ERROR_OUTPUT_TYPE_IN_PREFIX_MESSAGE = prefixConstraint('Prefix cannot contain !{firehose:error-output-type}');
/** §8.2: partition keys are not allowed in ErrorOutputPrefix — UNVERIFIED text. */
export const PARTITION_KEY_IN_ERROR_PREFIX_MESSAGE = prefixConstraint('ErrorOutputPrefix cannot contain Dynamic Partitioning namespaces');
/** §8.3 rule 6 — UNVERIFIED text. */
export const PREFIX_TOO_LONG_MESSAGE = prefixConstraint(`Prefix and ErrorOutputPrefix cannot be longer than ${MAX_EVALUATED_PREFIX_LENGTH} characters after evaluation`);
/** §8.3 rule 6 (Redshift's intermediate S3) — UNVERIFIED text. */
export const REDSHIFT_PREFIX_MESSAGE = prefixConstraint('Prefix cannot contain expressions and ErrorOutputPrefix must be null for a Redshift destination');
/** Partition-key expressions without dynamic partitioning — recorded (terraform-provider-aws#29092; aws-cdk comment "CFN validation message"). */
export const PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE = 'Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning is enabled.';
/** §8.3 rule 7: dynamic partitioning without partition keys — quoted by a third-party lint rule as AWS's; UNVERIFIED. */
export const DYNAMIC_PARTITIONING_WITHOUT_PARTITION_KEYS_MESSAGE = 'S3 Prefix should contain Dynamic Partitioning namespaces when Dynamic Partitioning is enabled';

// ---------------------------------------------------------------------------------------------
// Parsing

export type PrefixPart =
  | { kind: 'literal'; text: string }
  | { kind: 'timestamp'; pattern: string; format: (epochMs: number, timeZone: string) => string }
  | { kind: 'random-string' }
  | { kind: 'error-output-type' }
  | { kind: 'partitionKeyFromQuery'; key: string }
  | { kind: 'partitionKeyFromLambda'; key: string };

export interface ParsedPrefix {
  parts: readonly PrefixPart[];
  hasExpressions: boolean;
  hasTimestamp: boolean;
  hasErrorOutputType: boolean;
  hasPartitionKeys: boolean;
  /** Characters of the prefix outside expressions (a lower bound of its evaluated length). */
  literalLength: number;
}

/** A prefix that breaks §8.2/§8.3; `message` is the InvalidArgumentException text. */
export class PrefixError extends Error {
  override readonly name = 'PrefixError';
}

/** Evaluation could not produce a key: a missing partition key, or a prefix over 512 characters. */
export class PrefixEvaluationError extends Error {
  override readonly name = 'PrefixEvaluationError';
  constructor(readonly reason: 'missing-partition-key' | 'too-long', message: string) {
    super(message);
  }
}

const EXPRESSION_OPENER = '!{';
const parsedCache = new Map<string, ParsedPrefix>();
/** Bounds the cache: prefixes come from stream configurations, a few per stream. */
const PARSED_CACHE_LIMIT = 10_000;

/** Parses a prefix (cached); throws PrefixError with AWS's text for a malformed expression. */
export function parsePrefix(prefix: string): ParsedPrefix {
  const cached = parsedCache.get(prefix);
  if (cached) return cached;
  const parsed = parseUncached(prefix);
  // Shared by every caller through the cache: nobody may change it.
  for (const part of parsed.parts) Object.freeze(part);
  Object.freeze(parsed.parts);
  Object.freeze(parsed);
  if (parsedCache.size >= PARSED_CACHE_LIMIT) parsedCache.clear();
  parsedCache.set(prefix, parsed);
  return parsed;
}

function parseUncached(prefix: string): ParsedPrefix {
  const parts: PrefixPart[] = [];
  const result: ParsedPrefix = { parts, hasExpressions: false, hasTimestamp: false, hasErrorOutputType: false, hasPartitionKeys: false, literalLength: 0 };
  let i = 0;
  let literal = '';
  while (i < prefix.length) {
    const open = prefix.indexOf(EXPRESSION_OPENER, i);
    if (open < 0) { literal += prefix.slice(i); break; }
    literal += prefix.slice(i, open);
    const close = prefix.indexOf('}', open + 2);
    if (close < 0) throw new PrefixError(INVALID_EXPRESSION_MESSAGE(prefix.slice(open)));
    const expression = prefix.slice(open, close + 1);
    const body = prefix.slice(open + 2, close);
    const colon = body.indexOf(':');
    const namespace = colon < 0 ? body : body.slice(0, colon);
    const value = colon < 0 ? '' : body.slice(colon + 1);
    // A nested opener means the first one was not a complete expression (§8.3 rule 3).
    if (colon < 0 || value === '' || body.includes(EXPRESSION_OPENER)) throw new PrefixError(INVALID_EXPRESSION_MESSAGE(expression));
    let part: PrefixPart;
    switch (namespace) {
      case 'timestamp':
        try {
          part = { kind: 'timestamp', pattern: value, format: compileTimestampPattern(value) };
        } catch (err) {
          if (err instanceof TimestampPatternError) throw new PrefixError(INVALID_TIMESTAMP_PATTERN_MESSAGE(value, err.message));
          throw err;
        }
        result.hasTimestamp = true;
        break;
      case 'firehose':
        if (value === 'random-string') part = { kind: 'random-string' };
        else if (value === 'error-output-type') { part = { kind: 'error-output-type' }; result.hasErrorOutputType = true; }
        else throw new PrefixError(INVALID_EXPRESSION_MESSAGE(expression));
        break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda':
        part = { kind: namespace, key: value };
        result.hasPartitionKeys = true;
        break;
      default:
        throw new PrefixError(INVALID_EXPRESSION_MESSAGE(expression));
    }
    if (literal) { parts.push({ kind: 'literal', text: literal }); result.literalLength += literal.length; literal = ''; }
    parts.push(part);
    result.hasExpressions = true;
    i = close + 1;
  }
  if (literal) { parts.push({ kind: 'literal', text: literal }); result.literalLength += literal.length; }
  return result;
}

/** Names the partition-key expressions a prefix uses (dynamic partitioning), in order, without repeats. */
export function partitionKeyNames(prefix: string): { fromQuery: string[]; fromLambda: string[] } {
  const fromQuery: string[] = [];
  const fromLambda: string[] = [];
  for (const part of parsePrefix(prefix).parts) {
    if (part.kind === 'partitionKeyFromQuery' && !fromQuery.includes(part.key)) fromQuery.push(part.key);
    if (part.kind === 'partitionKeyFromLambda' && !fromLambda.includes(part.key)) fromLambda.push(part.key);
  }
  return { fromQuery, fromLambda };
}

// ---------------------------------------------------------------------------------------------
// Create/Update-time checks

/**
 * Create/Update-time checks of §8.3 with AWS's texts (typo included); returns the
 * InvalidArgumentException message or undefined. `redshift` applies the rule for Redshift's
 * intermediate S3 configuration.
 */
export function checkPrefixes(input: { prefix?: string; errorOutputPrefix?: string; dynamicPartitioning: boolean; redshift?: boolean }): string | undefined {
  const prefixText = input.prefix ?? '';
  const errorText = input.errorOutputPrefix ?? '';
  let prefix: ParsedPrefix;
  let errorPrefix: ParsedPrefix;
  try {
    prefix = parsePrefix(prefixText);
    errorPrefix = parsePrefix(errorText);
  } catch (err) {
    if (err instanceof PrefixError) return err.message;
    throw err;
  }
  if (input.redshift && (prefix.hasExpressions || errorText !== '')) return REDSHIFT_PREFIX_MESSAGE;
  if (prefix.hasErrorOutputType) return ERROR_OUTPUT_TYPE_IN_PREFIX_MESSAGE;
  if (prefix.hasPartitionKeys && !input.dynamicPartitioning) return PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE;
  if (errorPrefix.hasPartitionKeys) {
    return input.dynamicPartitioning ? PARTITION_KEY_IN_ERROR_PREFIX_MESSAGE : PARTITION_KEYS_WITHOUT_DYNAMIC_PARTITIONING_MESSAGE;
  }
  if (input.dynamicPartitioning && !prefix.hasPartitionKeys) return DYNAMIC_PARTITIONING_WITHOUT_PARTITION_KEYS_MESSAGE;
  if (prefix.hasExpressions && errorText === '') return ERROR_OUTPUT_PREFIX_REQUIRED_MESSAGE;
  if (errorPrefix.hasExpressions && !errorPrefix.hasErrorOutputType) return ERROR_OUTPUT_TYPE_REQUIRED_MESSAGE;
  // What is known before delivery: the literal text, 11 per random string and the appended
  // default timestamp; a timestamp expression's own output counts 0 (its shortest is not known).
  const prefixLength = minimumLength(prefix) + (needsDefaultTimestamp(prefix) ? DEFAULT_TIMESTAMP_LENGTH : 0);
  const errorLength = errorText === '' ? 0
    : minimumLength(errorPrefix) + (errorPrefix.hasExpressions ? 0 : SHORTEST_ERROR_OUTPUT_TYPE.length + 1 + DEFAULT_TIMESTAMP_LENGTH);
  if (prefixLength > MAX_EVALUATED_PREFIX_LENGTH || errorLength > MAX_EVALUATED_PREFIX_LENGTH) return PREFIX_TOO_LONG_MESSAGE;
  return undefined;
}

/** `yyyy/MM/dd/HH/` prints 14 characters for years 1000–9999. */
const DEFAULT_TIMESTAMP_LENGTH = 14;
const SHORTEST_ERROR_OUTPUT_TYPE: ErrorOutputType = 'splunk-failed';

function minimumLength(parsed: ParsedPrefix): number {
  let n = parsed.literalLength;
  for (const part of parsed.parts) if (part.kind === 'random-string') n += RANDOM_STRING_LENGTH;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const defaultTimestamp = compileTimestampPattern(DEFAULT_TIMESTAMP_PATTERN);

export interface PrefixEvaluationTime {
  epochMs: number;
  /** IANA name (CustomTimeZone); '' or 'UTC' for UTC. */
  timeZone: string;
}

/**
 * The evaluated prefix of §8.2/8.3 (literal `yyyy/MM/dd/HH/` append rule included). Every
 * `timestamp` expression uses the same instant (the object's oldest record); every random string
 * is new. Throws PrefixEvaluationError for a partition key the record lacks or a result over 512
 * characters (the record then belongs in the error output).
 */
export function evaluatePrefix(
  prefix: string | undefined,
  at: PrefixEvaluationTime & { partitionKeys?: Record<string, string>; partitionKeysFromLambda?: Record<string, string> },
): string {
  const parsed = parsePrefix(prefix ?? '');
  let out = render(parsed, at, undefined, at.partitionKeys, at.partitionKeysFromLambda);
  if (needsDefaultTimestamp(parsed)) out += defaultTimestamp(at.epochMs, at.timeZone);
  if (out.length > MAX_EVALUATED_PREFIX_LENGTH) throw new PrefixEvaluationError('too-long', PREFIX_TOO_LONG_MESSAGE);
  return out;
}

/** §8.3 rule 2 and its exceptions: no timestamp and no partition keys → append the default. */
function needsDefaultTimestamp(parsed: ParsedPrefix): boolean {
  if (parsed.hasTimestamp || parsed.hasPartitionKeys) return false;
  if (parsed.hasExpressions && !APPEND_TIMESTAMP_TO_RANDOM_STRING_ONLY_PREFIX) return false;
  return true;
}

/**
 * Error objects' prefix: ErrorOutputPrefix evaluated with the type, or the §8.3 rule 4 fallback.
 *
 * Fallback (ErrorOutputPrefix unset, so Prefix has no expressions): `<Prefix><type>/yyyy/MM/dd/HH/`.
 * The documented rule writes `<specified-prefix><error-output-type>YYYY/MM/DD/HH/` and the doc's
 * example table shows `myFirehosePrefix/processing-failed/2018/08/27/`; both are inexact
 * (UNVERIFIED). Chosen: the Prefix is concatenated literally, as for data objects (§1 fact 8),
 * and the type is a folder (`<type>/`), as the example shows and as AWS calls it ("the
 * processing-failed folder"). A static ErrorOutputPrefix (no expressions) is treated the same way,
 * with itself in place of Prefix (UNVERIFIED). An ErrorOutputPrefix with expressions is evaluated
 * as written, nothing appended (doc example `myFirehoseFailures/!{firehose:error-output-type}/` →
 * `myFirehoseFailures/processing-failed/`).
 */
export function evaluateErrorPrefix(errorOutputPrefix: string | undefined, prefix: string | undefined, type: ErrorOutputType, at: PrefixEvaluationTime): string {
  const errorParsed = errorOutputPrefix ? parsePrefix(errorOutputPrefix) : undefined;
  let out: string;
  if (errorParsed?.hasExpressions) {
    out = render(errorParsed, at, type, undefined, undefined);
  } else {
    const base = errorOutputPrefix || prefix || '';
    // A Prefix with expressions never reaches here after checkPrefixes; render it to be safe.
    out = render(parsePrefix(base), at, type, undefined, undefined) + type + '/' + defaultTimestamp(at.epochMs, at.timeZone);
  }
  if (out.length > MAX_EVALUATED_PREFIX_LENGTH) throw new PrefixEvaluationError('too-long', PREFIX_TOO_LONG_MESSAGE);
  return out;
}

function render(
  parsed: ParsedPrefix,
  at: PrefixEvaluationTime,
  errorType: ErrorOutputType | undefined,
  fromQuery: Record<string, string> | undefined,
  fromLambda: Record<string, string> | undefined,
): string {
  let out = '';
  for (const part of parsed.parts) {
    switch (part.kind) {
      case 'literal': out += part.text; break;
      case 'timestamp': out += part.format(at.epochMs, at.timeZone); break;
      case 'random-string': out += randomString(); break;
      // Only ErrorOutputPrefix may hold it (checked at create); outside an error object it is empty.
      case 'error-output-type': out += errorType ?? ''; break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda': {
        const keys = part.kind === 'partitionKeyFromQuery' ? fromQuery : fromLambda;
        const value = keys && Object.prototype.hasOwnProperty.call(keys, part.key) ? keys[part.key] : undefined;
        if (value === undefined) throw new PrefixEvaluationError('missing-partition-key', `The record has no value for !{${part.kind}:${part.key}}`);
        out += value;
        break;
      }
    }
  }
  return out;
}

/**
 * `!{firehose:random-string}`: 11 characters. The doc's examples (`046b6c7f-0b`, `5abf82daaa5`)
 * are windows of a UUID, so Millrace takes an 11-character window of a random UUID at a random
 * offset: lowercase hex and '-'. AWS's alphabet is UNVERIFIED.
 */
export function randomString(): string {
  const uuid = randomUUID();
  const offset = Math.floor(Math.random() * (uuid.length - RANDOM_STRING_LENGTH + 1));
  return uuid.slice(offset, offset + RANDOM_STRING_LENGTH);
}
