import type { Logger } from 'pino';
import type { SourceMetadata } from '../domain/delivery-stream.js';
import type { FunctionInvoker } from '../../functions/invoker.js';
import { deaggregateKpl } from './kpl-aggregation.js';

/**
 * Firehose's record processing (FIREHOSE-SPEC §10), between the ingest log and the buffers: what
 * the delivery engine hands over comes back as records to deliver (with their dynamic-partitioning
 * keys), records that failed (for the `processing-failed` error output) and a count of records
 * dropped on purpose. The processors run in AWS's order whatever order the configuration lists
 * them in: KPL de-aggregation (Kinesis-sourced records), Decompression + CloudWatchLogProcessing,
 * RecordDeAggregation, Lambda, MetadataExtraction (jq), AppendDelimiterToRecord.
 */

export interface IngestRecord {
  /** The record's position in what the engine handed over (its ingest-log index); kept by every record derived from it. */
  index: number;
  data: Buffer;
  /** Epoch ms at which Firehose took the record in. */
  arrival: number;
  source?: SourceMetadata;
}

export interface ProcessedRecord {
  /** The ingest record it came from; de-aggregation gives several records the same index. */
  index: number;
  data: Buffer;
  arrival: number;
  source?: SourceMetadata;
  /** partitionKeyFromQuery / partitionKeyFromLambda values (dynamic partitioning). */
  partitionKeys?: { fromQuery?: Record<string, string>; fromLambda?: Record<string, string> };
}

export interface FailedRecord {
  index: number;
  /** The record as it entered the failing processor (compressed, when Decompression had unpacked it). */
  rawData: Buffer;
  arrival: number;
  source?: SourceMetadata;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  lambdaArn?: string;
}

export interface ProcessingResult {
  delivered: ProcessedRecord[];
  failed: FailedRecord[];
  dropped: number;
}

export interface ProcessorDeps {
  functions: FunctionInvoker;
  log: Logger;
  deliveryStreamArn: string;
  region: string;
  sourceKinesisStreamArn?: string;
  now?: () => number;
}

export interface Processor {
  process(records: IngestRecord[], signal: AbortSignal): Promise<ProcessingResult>;
  close(): Promise<void>;
}

/**
 * `processing` is the description's ProcessingConfiguration (may be undefined or Enabled:false:
 * pass-through, KPL de-aggregation of Kinesis-sourced records still applies).
 */
export function createProcessor(processing: unknown, deps: ProcessorDeps): Processor {
  void processing;
  void deps;
  return {
    async process(records) {
      const delivered: ProcessedRecord[] = [];
      for (const record of records) delivered.push(...deaggregateKinesisRecord(record));
      return { delivered, failed: [], dropped: 0 };
    },
    async close() {},
  };
}

/**
 * A Kinesis-sourced record that holds a KPL aggregate becomes its sub-records, each with its own
 * partition key and subsequence number (FIREHOSE-SPEC §6); every other record stays as it is.
 * A record whose source already has a subsequence number was de-aggregated by the reader.
 */
export function deaggregateKinesisRecord<T extends IngestRecord>(record: T): T[] {
  if (!record.source || record.source.subsequenceNumber !== undefined) return [record];
  const subRecords = deaggregateKpl(record.data);
  if (!subRecords) return [record];
  return subRecords.map((sub, subsequenceNumber) => ({
    ...record,
    data: sub.data,
    source: { ...record.source!, partitionKey: sub.partitionKey, subsequenceNumber },
  }));
}

/** Create/Update-time checks of processors (names, parameters, jq compiles) → InvalidArgumentException message or undefined. */
export async function checkProcessingConfiguration(processing: unknown): Promise<string | undefined> {
  void processing;
  return undefined;
}

/** PutRecord-time: with Decompression on, only CloudWatch Logs payloads are accepted (InvalidSourceException, §6). */
export function acceptsPayload(processing: unknown, data: Buffer): boolean {
  void processing;
  void data;
  return true;
}
