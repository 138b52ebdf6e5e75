import type { JqOutcome } from './jq.js';

/**
 * MetadataExtraction (FIREHOSE-SPEC §10.2): the jq query's answer for a record becomes the
 * record's partitionKeyFromQuery values. The query must give one object whose values are scalars.
 */

/** The error output type and code of a record whose keys could not be extracted (recorded, see below). */
export const METADATA_EXTRACTION_FAILED_OUTPUT_TYPE = 'metadata-extraction-failed';
/** Recorded: error objects of failed records carry this code (govuk-one-login txma tests, several CDK projects). */
export const METADATA_EXTRACTION_FAILED_CODE = 'DynamicPartitioning.MetadataExtractionFailed';
/** Recorded: the message for a record that is not JSON. */
export const NON_JSON_RECORD_MESSAGE = 'Non JSON record provided';
/** Recorded: the message for a key whose value is null or an empty string. */
export const EMPTY_KEY_VALUE_MESSAGE = 'partitionKeys values must not be null or empty';
// UNVERIFIED: our wording for the other ways a query's answer can be unusable.
export const queryErrorMessage = (jqError: string) => `Error executing JQ query: ${jqError}`;
export const NOT_ONE_OBJECT_MESSAGE = 'JQ query must return exactly one JSON object';
export const NON_SCALAR_VALUE_MESSAGE = 'partitionKeys values must be strings or numbers';

export type KeysOutcome = { ok: true; keys: Record<string, string> } | { ok: false; message: string };

/** The record's text when it is one JSON text, else undefined ("Non JSON record provided"). */
export function jsonText(data: Buffer): string | undefined {
  const text = data.toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/** Partition keys from jq's answer: strings as they are, numbers and booleans as jq prints them. */
export function partitionKeysFrom(outcome: JqOutcome): KeysOutcome {
  if (!outcome.ok) return { ok: false, message: queryErrorMessage(outcome.error) };
  if (outcome.outputs.length !== 1) return { ok: false, message: NOT_ONE_OBJECT_MESSAGE };
  const [value] = outcome.outputs;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: NOT_ONE_OBJECT_MESSAGE };
  const keys: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === null || item === '') return { ok: false, message: EMPTY_KEY_VALUE_MESSAGE };
    if (typeof item === 'string') keys[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') keys[key] = String(item);
    else return { ok: false, message: NON_SCALAR_VALUE_MESSAGE };
  }
  return { ok: true, keys };
}
