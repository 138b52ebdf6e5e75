/**
 * Error output documents (FIREHOSE-SPEC §8.4): one JSON document per failed record, newline-
 * separated (the separator is UNVERIFIED: ERROR_DOCUMENT_SEPARATOR), written under the error prefix
 * with `!{firehose:error-output-type}` naming the failure.
 */
import type { SourceMetadata } from '../domain/delivery-stream.js';
import type { FailedRecord } from '../processing/pipeline.js';
import { processingErrorDocument } from '../processing/error-document.js';
import type { ConversionFailure } from './format-conversion.js';
import type { RecordFailure } from './retry.js';

/** §8.4: "separator between documents UNVERIFIED, probably newline". */
export const ERROR_DOCUMENT_SEPARATOR = '\n';

/** Error output types, as `!{firehose:error-output-type}` spells them (§8.2, §10.2). */
export type ErrorType =
  | 'processing-failed'
  | 'metadata-extraction-failed'
  | 'decompression-failed'
  | 'format-conversion-failed'
  | 'http-endpoint-failed'
  | 'AmazonOpenSearchService-failed'
  | 'elasticsearch-failed'
  | 'splunk-failed'
  | 'activePartitionExceeded';

/** What AWS says about a record beyond the 500 active partitions (the text is UNVERIFIED). */
export const PARTITION_LIMIT_ERROR_CODE = 'DynamicPartitioning.ActivePartitionsLimitExceeded';
export const PARTITION_LIMIT_ERROR_MESSAGE = (limit: number) => `The number of active partitions exceeded the limit of ${limit} for the delivery stream.`;

const dataIdOf = (source: SourceMetadata | undefined, index: number) =>
  source ? `${source.sequenceNumber}.${source.subsequenceNumber ?? 0}` : `${index}.0`;

/** processing-failed / metadata-extraction-failed / decompression-failed. */
export const processingFailureDocument = (failed: FailedRecord): string => processingErrorDocument(failed);

/** format-conversion-failed (§8.4: lastErrorCode, lastErrorMessage, sequence numbers, dataCatalogTable). */
export function conversionFailureDocument(failed: ConversionFailure): string {
  return JSON.stringify({
    attemptsMade: failed.attemptsMade,
    arrivalTimestamp: failed.arrival,
    lastErrorCode: failed.errorCode,
    lastErrorMessage: failed.errorMessage,
    attemptEndingTimestamp: failed.attemptEndingTimestamp,
    rawData: failed.rawData.toString('base64'),
    sequenceNumber: failed.source?.sequenceNumber,
    subSequenceNumber: failed.source?.subsequenceNumber ?? 0,
    dataCatalogTable: failed.dataCatalogTable,
  });
}

/** http-endpoint-failed / splunk-failed / OpenSearch failed documents (§8.4). */
export function destinationFailureDocument(
  type: ErrorType,
  record: { index: number; data: Buffer; arrival: number; source?: SourceMetadata },
  failure: Pick<RecordFailure, 'attempts' | 'errorCode' | 'errorMessage' | 'attemptEndingTimestamp' | 'documentId' | 'indexName' | 'typeName'>,
): string {
  const common = {
    attemptsMade: failure.attempts,
    arrivalTimestamp: record.arrival,
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    attemptEndingTimestamp: failure.attemptEndingTimestamp,
  };
  if (type === 'AmazonOpenSearchService-failed' || type === 'elasticsearch-failed') {
    return JSON.stringify({ ...common, esDocumentId: failure.documentId, esIndexName: failure.indexName, esTypeName: failure.typeName ?? '', rawData: record.data.toString('base64') });
  }
  const dataId = dataIdOf(record.source, record.index);
  return JSON.stringify({
    ...common,
    rawData: record.data.toString('base64'),
    subsequenceNumber: record.source?.subsequenceNumber ?? 0,
    dataId,
    ...(type === 'splunk-failed' ? { EventId: dataId } : {}),
  });
}

/** activePartitionExceeded: the record as it came out of processing (UNVERIFIED members: those of processing-failed). */
export function partitionExceededDocument(record: { data: Buffer; arrival: number }, limit: number, now: number): string {
  return JSON.stringify({
    rawData: record.data.toString('base64'),
    errorCode: PARTITION_LIMIT_ERROR_CODE,
    errorMessage: PARTITION_LIMIT_ERROR_MESSAGE(limit),
    attemptsMade: 1,
    arrivalTimestamp: record.arrival,
    attemptEndingTimestamp: now,
  });
}

/** The body of an error object: documents separated by newlines (one after the last too). */
export function errorObjectChunks(documents: string[]): Buffer[] {
  return documents.map((document) => Buffer.from(document + ERROR_DOCUMENT_SEPARATOR));
}
