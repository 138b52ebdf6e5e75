import type { Logger } from 'pino';
import type { SourceMetadata } from '../domain/delivery-stream.js';
import type { FunctionInvoker } from '../../functions/invoker.js';
import { deaggregateKpl } from './kpl-aggregation.js';
import { checkProcessorParameters, decompressionEnabled, invalidJqMessage, readProcessingSettings, type ProcessingSettings } from './configuration.js';
import {
  DECOMPRESSION_FAILED_CODE,
  DECOMPRESSION_FAILED_OUTPUT_TYPE,
  decompressionFailedMessage,
  decompressRecord,
  EXTRACTION_FAILED_CODE,
  EXTRACTION_FAILED_MESSAGE,
  extractMessages,
  isCloudWatchLogsPayload,
  parseEnvelope,
} from './cloudwatch-logs.js';
import { splitDelimited, splitJsonObjects } from './record-deaggregation.js';
import { transformWithLambda, type LambdaStats } from './lambda-transform.js';
import { checkJqQuery, openJqQuery, type JqQuery } from './jq.js';
import {
  jsonText,
  METADATA_EXTRACTION_FAILED_CODE,
  METADATA_EXTRACTION_FAILED_OUTPUT_TYPE,
  NON_JSON_RECORD_MESSAGE,
  partitionKeysFrom,
} from './metadata-extraction.js';

/**
 * Firehose's record processing (FIREHOSE-SPEC §10), between the ingest log and the buffers: what
 * the delivery engine hands over comes back as records to deliver (with their dynamic-partitioning
 * keys), records that failed (for the error output) and a count of records dropped on purpose.
 * The processors run in AWS's order whatever order the configuration lists them in: KPL
 * de-aggregation (Kinesis-sourced records, always), Decompression + CloudWatchLogProcessing,
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

/**
 * Where a failed record's error object goes (`!{firehose:error-output-type}`): Lambda's failures
 * are `processing-failed` [dg2023]; jq's are `metadata-extraction-failed` (recorded in users' error
 * prefixes); Decompression's are `decompression-failed` [docs decomp-faq].
 */
export type ProcessingErrorOutputType = 'processing-failed' | 'metadata-extraction-failed' | 'decompression-failed';

export interface FailedRecord {
  index: number;
  /** The record as it went into the failing processor (compressed, when Decompression had unpacked it [docs decomp-faq]). */
  rawData: Buffer;
  arrival: number;
  source?: SourceMetadata;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  /** Epoch ms at which processing stopped trying (the error object's attemptEndingTimestamp). */
  attemptEndingTimestamp: number;
  lambdaArn?: string;
  errorOutputType: ProcessingErrorOutputType;
}

/** Counters of FIREHOSE-SPEC §15 this call contributes to. */
export interface ProcessingMetrics {
  /** ExecuteProcessing.Duration (ms spent in Lambda invocations) and .Success (succeeded / made). */
  lambdaInvocations: number;
  lambdaSucceededInvocations: number;
  lambdaDurationMs: number;
  /** SucceedProcessing.Records / .Bytes: records that came out of processing for delivery. */
  succeededRecords: number;
  succeededBytes: number;
  /** JQProcessing.Duration (ms). */
  jqDurationMs: number;
}

export interface ProcessingResult {
  delivered: ProcessedRecord[];
  failed: FailedRecord[];
  dropped: number;
  metrics?: ProcessingMetrics;
}

export interface ProcessorDeps {
  functions: FunctionInvoker;
  log: Logger;
  deliveryStreamArn: string;
  region: string;
  sourceKinesisStreamArn?: string;
  now?: () => number;
  /** Splunk destinations: the Lambda processor's buffer defaults to 256 KB instead of 1 MB. */
  splunk?: boolean;
  /** Pause between Lambda retries (tests make it instant). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Processor {
  process(records: IngestRecord[], signal: AbortSignal): Promise<ProcessingResult>;
  close(): Promise<void>;
  /**
   * The Lambda processor's buffering hints, for the engine to size what it hands over: a batch is
   * due at `sizeBytes` of records or `intervalMs` after its first record. Undefined without Lambda.
   */
  readonly lambdaBuffering?: { sizeBytes: number; intervalMs: number };
}

/** A record on its way through: `raw` is what a failure reports as rawData. */
interface Working {
  index: number;
  data: Buffer;
  arrival: number;
  source?: SourceMetadata;
  raw: Buffer;
  /** Decompression unpacked it: failures report the compressed record. */
  rawIsOriginal: boolean;
  fromLambda?: Record<string, string>;
  fromQuery?: Record<string, string>;
}

const NEWLINE = Buffer.from('\n');

/**
 * `processing` is the description's ProcessingConfiguration (may be undefined or Enabled:false:
 * pass-through, KPL de-aggregation of Kinesis-sourced records still applies).
 */
export function createProcessor(processing: unknown, deps: ProcessorDeps): Processor {
  const settings = readProcessingSettings(processing, { splunk: deps.splunk });
  let jq: Promise<JqQuery> | undefined;
  const query = () => (jq ??= openJqQuery(settings.metadataExtraction!.query, deps.log));
  return {
    ...(settings.lambda
      ? { lambdaBuffering: { sizeBytes: Math.round(settings.lambda.bufferSizeMB * 1024 * 1024), intervalMs: settings.lambda.bufferIntervalSeconds * 1000 } }
      : {}),
    process: (records, signal) => runPipeline(records, settings, deps, signal, settings.metadataExtraction ? query : undefined),
    async close() {
      if (jq) await (await jq).close();
    },
  };
}

async function runPipeline(
  records: IngestRecord[],
  settings: ProcessingSettings,
  deps: ProcessorDeps,
  signal: AbortSignal,
  query: (() => Promise<JqQuery>) | undefined,
): Promise<ProcessingResult> {
  signal.throwIfAborted();
  const now = deps.now ?? Date.now;
  const failed: FailedRecord[] = [];
  let dropped = 0;
  const metrics: ProcessingMetrics = {
    lambdaInvocations: 0,
    lambdaSucceededInvocations: 0,
    lambdaDurationMs: 0,
    succeededRecords: 0,
    succeededBytes: 0,
    jqDurationMs: 0,
  };
  const fail = (record: Working, errorOutputType: ProcessingErrorOutputType, errorCode: string, errorMessage: string, attemptsMade: number, rawData: Buffer, lambdaArn?: string) => {
    failed.push({
      index: record.index,
      rawData,
      arrival: record.arrival,
      ...(record.source ? { source: record.source } : {}),
      errorCode,
      errorMessage,
      attemptsMade,
      attemptEndingTimestamp: now(),
      ...(lambdaArn ? { lambdaArn } : {}),
      errorOutputType,
    });
  };

  // Without processors (the common case) records go straight through: no copies beyond the result.
  if (!settings.enabled) {
    const delivered: ProcessedRecord[] = [];
    for (const record of records) {
      if (record.source) for (const sub of deaggregateKinesisRecord(record)) delivered.push({ index: sub.index, data: sub.data, arrival: sub.arrival, source: sub.source! });
      else delivered.push(record); // an IngestRecord without source is a ProcessedRecord as it is
    }
    for (const record of delivered) metrics.succeededBytes += record.data.length;
    metrics.succeededRecords = delivered.length;
    return { delivered, failed, dropped, metrics };
  }

  let working: Working[] = [];
  for (const record of records) {
    const subs = record.source ? deaggregateKinesisRecord(record) : [record];
    for (const sub of subs) working.push({ index: sub.index, data: sub.data, arrival: sub.arrival, source: sub.source, raw: sub.data, rawIsOriginal: false });
  }

  if (settings.decompression) {
    const unpacked = await Promise.all(
      working.map(async (record) => {
        try {
          return await decompressRecord(record.data);
        } catch (error) {
          return error as Error;
        }
      }),
    );
    const next: Working[] = [];
    working.forEach((record, i) => {
      const result = unpacked[i]!;
      if (result instanceof Error) {
        fail(record, DECOMPRESSION_FAILED_OUTPUT_TYPE, DECOMPRESSION_FAILED_CODE, decompressionFailedMessage(result.message), 1, record.data);
        return;
      }
      let data: Buffer | undefined = result;
      if (settings.cloudWatchLogProcessing?.dataMessageExtraction) {
        const envelope = parseEnvelope(result);
        if (!envelope) {
          fail(record, 'processing-failed', EXTRACTION_FAILED_CODE, EXTRACTION_FAILED_MESSAGE, 1, record.data);
          return;
        }
        data = extractMessages(envelope);
        if (!data) {
          dropped++; // CONTROL_MESSAGE: no log data
          return;
        }
      }
      next.push({ ...record, data, raw: record.data, rawIsOriginal: true });
    });
    working = next;
  }
  signal.throwIfAborted();

  if (settings.recordDeAggregation) {
    const { subRecordType, delimiter } = settings.recordDeAggregation;
    const next: Working[] = [];
    for (const record of working) {
      const pieces = subRecordType === 'JSON' ? splitJsonObjects(record.data) : delimiter ? splitDelimited(record.data, delimiter) : undefined;
      if (!pieces) next.push(record);
      else for (const piece of pieces) next.push({ ...record, data: piece, raw: record.rawIsOriginal ? record.raw : piece });
    }
    working = next;
  }

  if (settings.lambda && working.length > 0) {
    const lambda = settings.lambda;
    const stats: LambdaStats = { invocations: 0, succeededInvocations: 0, durationMs: 0 };
    const outcomes = await transformWithLambda(working, lambda, { ...deps }, signal, stats);
    metrics.lambdaInvocations = stats.invocations;
    metrics.lambdaSucceededInvocations = stats.succeededInvocations;
    metrics.lambdaDurationMs = stats.durationMs;
    const next: Working[] = [];
    working.forEach((record, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'dropped') dropped++;
      else if (outcome.kind === 'failed')
        fail(record, 'processing-failed', outcome.errorCode, outcome.errorMessage, outcome.attemptsMade, record.rawIsOriginal ? record.raw : record.data, lambda.lambdaArn);
      else next.push({ ...record, data: outcome.data, ...(outcome.partitionKeys ? { fromLambda: outcome.partitionKeys } : {}) });
    });
    working = next;
  }
  signal.throwIfAborted();

  if (query && working.length > 0) {
    const jq = await query();
    const started = Date.now();
    const outcomes = await Promise.all(
      working.map((record) => {
        const text = jsonText(record.data);
        return text === undefined ? undefined : jq.run(text);
      }),
    );
    metrics.jqDurationMs = Date.now() - started;
    signal.throwIfAborted();
    const next: Working[] = [];
    working.forEach((record, i) => {
      const outcome = outcomes[i];
      const keys = outcome ? partitionKeysFrom(outcome) : { ok: false as const, message: NON_JSON_RECORD_MESSAGE };
      if (!keys.ok) fail(record, METADATA_EXTRACTION_FAILED_OUTPUT_TYPE, METADATA_EXTRACTION_FAILED_CODE, keys.message, 1, record.rawIsOriginal ? record.raw : record.data);
      else next.push({ ...record, fromQuery: keys.keys });
    });
    working = next;
  }

  if (settings.appendDelimiterToRecord) for (const record of working) record.data = Buffer.concat([record.data, NEWLINE]);

  const delivered: ProcessedRecord[] = working.map((record) => {
    const out: ProcessedRecord = record.source
      ? { index: record.index, data: record.data, arrival: record.arrival, source: record.source }
      : { index: record.index, data: record.data, arrival: record.arrival };
    if (record.fromQuery || record.fromLambda)
      out.partitionKeys = { ...(record.fromQuery ? { fromQuery: record.fromQuery } : {}), ...(record.fromLambda ? { fromLambda: record.fromLambda } : {}) };
    metrics.succeededRecords++;
    metrics.succeededBytes += record.data.length;
    return out;
  });
  logFailures(failed, deps);
  return { delivered, failed, dropped, metrics };
}

/**
 * One warn line per error code of a batch, with how many records it took and the first one's
 * message: a query that fails every record must not write a line per record (AWS samples its
 * error logs under high failure rates too, FIREHOSE-SPEC §15).
 */
function logFailures(failed: FailedRecord[], deps: ProcessorDeps): void {
  const byCode = new Map<string, { first: FailedRecord; records: number }>();
  for (const failure of failed) {
    const entry = byCode.get(failure.errorCode);
    if (entry) entry.records++;
    else byCode.set(failure.errorCode, { first: failure, records: 1 });
  }
  for (const [errorCode, { first, records }] of byCode)
    deps.log.warn(
      { deliveryStreamArn: deps.deliveryStreamArn, errorCode, errorOutputType: first.errorOutputType, records, ...(first.lambdaArn ? { lambdaArn: first.lambdaArn } : {}) },
      first.errorMessage,
    );
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
  const problem = checkProcessorParameters(processing);
  if (problem) return problem;
  const settings = readProcessingSettings(processing, { evenIfDisabled: true });
  if (settings.metadataExtraction) {
    const { query } = settings.metadataExtraction;
    const jqProblem = await checkJqQuery(query);
    if (jqProblem) return invalidJqMessage(query, jqProblem);
  }
  return undefined;
}

/** PutRecord-time: with Decompression on, only CloudWatch Logs payloads are accepted (InvalidSourceException, §6). */
export function acceptsPayload(processing: unknown, data: Buffer): boolean {
  return !decompressionEnabled(processing) || isCloudWatchLogsPayload(data);
}

/** InvalidSourceException's message [botocore-doc], for PutRecord when acceptsPayload says no. */
export const INVALID_SOURCE_MESSAGE = 'Only requests from CloudWatch Logs are supported when CloudWatch Logs decompression is enabled.';
