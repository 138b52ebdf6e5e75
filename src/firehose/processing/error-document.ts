import type { FailedRecord } from './pipeline.js';

/**
 * The JSON document Firehose writes under the error prefix for a record processing failed
 * (FIREHOSE-SPEC §8.4), for the delivery engine's error output. Member order and the `lambdaARN`
 * spelling are those of objects captured from real streams in 2025 and 2026 (a
 * `Lambda.FunctionError` object quoted in a user's repository; floci-io/floci#3393's probe):
 *   {"rawData","errorCode","errorMessage","attemptsMade","arrivalTimestamp","attemptEndingTimestamp","lambdaARN"}
 * (the 2023 guide lists another order and `lambdaArn`). The documents of jq and Decompression
 * failures are taken to have the same members without lambdaARN: UNVERIFIED.
 */
export function processingErrorDocument(failed: FailedRecord): string {
  return JSON.stringify({
    rawData: failed.rawData.toString('base64'),
    errorCode: failed.errorCode,
    errorMessage: failed.errorMessage,
    attemptsMade: failed.attemptsMade,
    arrivalTimestamp: failed.arrival,
    attemptEndingTimestamp: failed.attemptEndingTimestamp,
    ...(failed.lambdaArn ? { lambdaARN: failed.lambdaArn } : {}),
  });
}
