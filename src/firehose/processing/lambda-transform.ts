import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SourceMetadata } from '../domain/delivery-stream.js';
import { InvokeError, type FunctionInvoker } from '../../functions/invoker.js';
import { INVOKE_REQUEST_LIMIT_BYTES } from '../../functions/invoke-limits.js';
import { abortableSleep } from '../abortable-sleep.js';
import type { LambdaSettings } from './configuration.js';

/**
 * The Lambda processor (FIREHOSE-SPEC §10.1, docs data-transformation*): records go to the
 * function in batches, synchronously, as Firehose's event; the function answers per recordId
 * Ok (with new data and, for dynamic partitioning, metadata.partitionKeys), Dropped or
 * ProcessingFailed. An invocation that fails is tried again NumberOfRetries times; then every record
 * of the batch fails with the last error. An answer the function gave is final, however malformed:
 * a real stream reports a single attempt for a response naming no records (floci-io/floci#3393).
 */

/** Invocations of one processor in flight at once: "5 outstanding Lambda invocations per shard" (FIREHOSE-SPEC §16). */
export const MAX_CONCURRENT_INVOCATIONS = 5;

/** Pause before trying a failed invocation again. AWS does not document its backoff: UNVERIFIED. */
export const LAMBDA_RETRY_DELAY_MS = 1_000;

// Error codes and messages [dg2023 monitoring-with-cloudwatch-logs, "Lambda Invocation Errors"];
// the recorded spelling wins where one exists.
export const LAMBDA_ERRORS = {
  /** Recorded in processing-failed objects (CloudSnorkel/CloudWatch2S3#9; floci-io/floci#3393 probe). */
  ProcessingFailedStatus: { code: 'Lambda.ProcessingFailedStatus', message: 'ProcessingFailed status set for record' },
  /** Recorded (CloudSnorkel/CloudWatch2S3#3), "Ids" as AWS wrote it there. */
  MissingRecordId: {
    code: 'Lambda.MissingRecordId',
    message: 'One or more record Ids were not returned. Ensure that the Lambda function returns all received record Ids.',
  },
  /** Documented; spelled like the recorded MissingRecordId text. */
  DuplicatedRecordId: {
    code: 'Lambda.DuplicatedRecordId',
    message: 'Multiple records were returned with the same record Id. Ensure that the Lambda function returns unique record Ids for each record.',
  },
  JsonProcessingException: {
    code: 'Lambda.JsonProcessingException',
    message: 'There was an error parsing returned records from the Lambda function. Ensure that the returned records follow the status model required by Firehose.',
  },
  /** Recorded in processing-failed objects (attemptsMade 4 = 1 + the default 3 retries). */
  FunctionError: { code: 'Lambda.FunctionError', message: 'The Lambda function was successfully invoked but it returned an error result.' },
  InvokeLimitExceeded: { code: 'Lambda.InvokeLimitExceeded', message: 'The Lambda concurrent execution limit is exceeded. Increase the concurrent execution limit.' },
  ResourceNotFound: { code: 'Lambda.ResourceNotFound', message: 'The specified Lambda function does not exist. Use a different function that does exist.' },
  InvokeAccessDenied: { code: 'Lambda.InvokeAccessDenied', message: 'Access was denied. Ensure that the access policy allows access to the Lambda function.' },
} as const;

export interface LambdaInput {
  data: Buffer;
  arrival: number;
  source?: SourceMetadata;
}

export type LambdaOutcome =
  | { kind: 'ok'; data: Buffer; partitionKeys?: Record<string, string>; attemptsMade: number }
  | { kind: 'dropped'; attemptsMade: number }
  | { kind: 'failed'; errorCode: string; errorMessage: string; attemptsMade: number };

export interface LambdaContext {
  functions: FunctionInvoker;
  log: Logger;
  deliveryStreamArn: string;
  region: string;
  sourceKinesisStreamArn?: string;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface LambdaStats {
  invocations: number;
  succeededInvocations: number;
  durationMs: number;
}

/** Length of the record ids this processor hands out (RECORD_ID_DIGITS digits, all ASCII). */
const RECORD_ID_DIGITS = 62;
const RECORD_ID_BASE_DIGITS = 56;

/**
 * Batches by the processor's BufferSizeInMBs and by Lambda's 6 MB request limit. The size hint
 * counts the records' data as put (AWS "buffers incoming data" up to it, §10.1): a batch closes
 * when the next record would take it past the hint. The request limit counts the event exactly as
 * `buildEvent` writes it (base64 data, record ids, metadata): a hint of up to 3 MB of small records
 * can make an event beyond 6 MB, which AWS would send and Lambda refuse; Millrace splits it instead.
 * A record too large for either goes alone.
 */
export function lambdaBatches(records: LambdaInput[], bufferSizeBytes: number, context?: Pick<LambdaContext, 'deliveryStreamArn' | 'region' | 'sourceKinesisStreamArn'>): number[][] {
  const envelopeBytes = eventEnvelopeBytes(context);
  const batches: number[][] = [];
  let batch: number[] = [];
  let dataBytes = 0;
  let eventBytes = envelopeBytes;
  records.forEach((record, position) => {
    // The entry and the comma before it (one byte too many for the first: never over the limit).
    const recordEventBytes = eventRecordBytes(record) + 1;
    if (batch.length > 0 && (dataBytes + record.data.length > bufferSizeBytes || eventBytes + recordEventBytes > INVOKE_REQUEST_LIMIT_BYTES)) {
      batches.push(batch);
      batch = [];
      dataBytes = 0;
      eventBytes = envelopeBytes;
    }
    batch.push(position);
    dataBytes += record.data.length;
    eventBytes += recordEventBytes;
  });
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Bytes of an event without records: `{"invocationId":…,"records":[]}`. */
function eventEnvelopeBytes(context?: Pick<LambdaContext, 'deliveryStreamArn' | 'region' | 'sourceKinesisStreamArn'>): number {
  return Buffer.byteLength(JSON.stringify(eventEnvelope(randomUUID(), context ?? { deliveryStreamArn: '', region: '' }, [])));
}

/** Bytes a record's entry takes in the event (its base64 data counted without encoding it). */
function eventRecordBytes(record: LambdaInput): number {
  const base64Bytes = Math.ceil(record.data.length / 3) * 4;
  return Buffer.byteLength(JSON.stringify(eventRecord({ ...record, data: EMPTY }, '0'.repeat(RECORD_ID_DIGITS)))) + base64Bytes;
}

const EMPTY = Buffer.alloc(0);

/**
 * The Lambda processor's buffer (§10.1: Firehose "buffers incoming data" until BufferSizeInMBs or
 * BufferIntervalInSeconds, whichever comes first, then invokes the function with the batch), for
 * the delivery engine to hold records read from the ingest log until a batch is due. Holding them
 * costs no durability: they stay in the log, and `minIndex` holds the checkpoint back.
 * `Processor.lambdaBuffering` gives the hints. Records are added in log order.
 */
export class LambdaInputBuffer<T extends { index: number; arrival: number; data: Buffer }> {
  private items: T[] = [];
  private held = 0;

  constructor(readonly hints: { sizeBytes: number; intervalMs: number }) {}

  add(records: readonly T[]): void {
    for (const record of records) {
      this.items.push(record);
      this.held += record.data.length;
    }
  }

  /** Data bytes held (as put, before base64). */
  get bytes(): number {
    return this.held;
  }

  get length(): number {
    return this.items.length;
  }

  /** Ingest index of the oldest record held (Infinity when empty): the checkpoint stays before it. */
  get minIndex(): number {
    return this.items[0]?.index ?? Infinity;
  }

  /** Arrival of the oldest record held (records come in log order), Infinity when empty. */
  get oldestArrival(): number {
    return this.items[0]?.arrival ?? Infinity;
  }

  /** When the oldest record has waited BufferIntervalInSeconds (epoch ms), Infinity when empty. */
  get dueAt(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.arrival + this.hints.intervalMs;
  }

  /**
   * What goes to processing at `now`: everything once the oldest record has waited the interval
   * (or `all`: a flush, a reconfiguration); otherwise every full batch (as `lambdaBatches` cuts them
   * by the size hint) while the rest waits for more records or for its own interval.
   */
  takeDue(now: number, all = false): T[] {
    if (this.items.length === 0) return [];
    let cut = 0;
    if (all || now >= this.dueAt) cut = this.items.length;
    else if (this.held >= this.hints.sizeBytes) {
      let batchBytes = 0;
      this.items.forEach((record, i) => {
        if (batchBytes > 0 && batchBytes + record.data.length > this.hints.sizeBytes) {
          cut = i;
          batchBytes = 0;
        }
        batchBytes += record.data.length;
      });
      if (batchBytes >= this.hints.sizeBytes) cut = this.items.length;
    }
    const taken = this.items.splice(0, cut);
    for (const record of taken) this.held -= record.data.length;
    return taken;
  }
}

/** Transforms the records; the outcomes line up with the input. */
export async function transformWithLambda(
  records: LambdaInput[],
  settings: LambdaSettings,
  context: LambdaContext,
  signal: AbortSignal,
  stats?: LambdaStats,
): Promise<LambdaOutcome[]> {
  const outcomes: LambdaOutcome[] = new Array(records.length);
  const batches = lambdaBatches(records, Math.round(settings.bufferSizeMB * 1024 * 1024), context);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const results = await invokeBatch(batch.map((position) => records[position]!), settings, context, signal, stats);
      batch.forEach((position, i) => (outcomes[position] = results[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_INVOCATIONS, batches.length) }, worker));
  return outcomes;
}

/** A 56-digit base like the record ids AWS hands out (`49546986683135544286507457936321625675700192471156785154…`). */
function recordIdBase(): string {
  let digits = '49';
  while (digits.length < RECORD_ID_BASE_DIGITS) digits += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return digits.slice(0, RECORD_ID_BASE_DIGITS);
}

function eventEnvelope(invocationId: string, context: Pick<LambdaContext, 'deliveryStreamArn' | 'region' | 'sourceKinesisStreamArn'>, records: unknown[]): Record<string, unknown> {
  return {
    invocationId,
    deliveryStreamArn: context.deliveryStreamArn,
    ...(context.sourceKinesisStreamArn ? { sourceKinesisStreamArn: context.sourceKinesisStreamArn } : {}),
    region: context.region,
    records,
  };
}

/** One record of Firehose's event (§6, §10.1): Kinesis-sourced records carry kinesisRecordMetadata. */
function eventRecord(record: LambdaInput, recordId: string): Record<string, unknown> {
  return {
    recordId,
    approximateArrivalTimestamp: record.arrival,
    data: record.data.toString('base64'),
    ...(record.source
      ? {
          kinesisRecordMetadata: {
            shardId: record.source.shardId,
            partitionKey: record.source.partitionKey,
            approximateArrivalTimestamp: record.source.approximateArrivalTimestamp,
            sequenceNumber: record.source.sequenceNumber,
            subsequenceNumber: record.source.subsequenceNumber ?? 0,
          },
        }
      : {}),
  };
}

/** The invocation's payload; its record ids are `<base><6-digit position>`, RECORD_ID_DIGITS long. */
export function buildEvent(batch: LambdaInput[], context: Pick<LambdaContext, 'deliveryStreamArn' | 'region' | 'sourceKinesisStreamArn'>): { payload: Buffer; recordIds: string[] } {
  const base = recordIdBase();
  const recordIds = batch.map((_, i) => `${base}${String(i).padStart(RECORD_ID_DIGITS - RECORD_ID_BASE_DIGITS, '0')}`);
  const event = eventEnvelope(randomUUID(), context, batch.map((record, i) => eventRecord(record, recordIds[i]!)));
  return { payload: Buffer.from(JSON.stringify(event)), recordIds };
}

function invokeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof InvokeError) {
    switch (error.type) {
      case 'ResourceNotFoundException':
        return LAMBDA_ERRORS.ResourceNotFound;
      case 'TooManyRequestsException':
        return LAMBDA_ERRORS.InvokeLimitExceeded;
      case 'AccessDeniedException':
        return LAMBDA_ERRORS.InvokeAccessDenied;
      default:
        // Lambda's own error type under the Lambda. prefix (e.g. Lambda.RequestEntityTooLargeException). UNVERIFIED.
        return { code: `Lambda.${error.type}`, message: error.message };
    }
  }
  return { code: 'Lambda.ServiceException', message: error instanceof Error ? error.message : String(error) };
}

async function invokeBatch(batch: LambdaInput[], settings: LambdaSettings, context: LambdaContext, signal: AbortSignal, stats?: LambdaStats): Promise<LambdaOutcome[]> {
  const { payload, recordIds } = buildEvent(batch, context);
  const attempts = 1 + settings.numberOfRetries;
  let failure: { code: string; message: string } = LAMBDA_ERRORS.FunctionError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    signal.throwIfAborted();
    if (attempt > 1) await (context.sleep ?? abortableSleep)(LAMBDA_RETRY_DELAY_MS, signal);
    const started = Date.now();
    if (stats) stats.invocations++;
    try {
      const result = await context.functions.invoke(settings.lambdaArn, payload, { signal });
      if (stats) stats.durationMs += Date.now() - started;
      if (result.functionError) {
        failure = LAMBDA_ERRORS.FunctionError;
        context.log.warn(
          { errorCode: failure.code, lambdaArn: settings.lambdaArn, attempt, functionError: result.payload.subarray(0, 500).toString('utf8') },
          'Lambda transform failed',
        );
        continue;
      }
      if (stats) stats.succeededInvocations++;
      return readResponse(result.payload, recordIds, attempt, context.log, settings.lambdaArn);
    } catch (error) {
      if (stats) stats.durationMs += Date.now() - started;
      if (signal.aborted) throw signal.reason;
      failure = invokeFailure(error);
      context.log.warn({ errorCode: failure.code, lambdaArn: settings.lambdaArn, attempt, err: error }, 'Lambda transform invocation failed');
    }
  }
  return batch.map(() => ({ kind: 'failed', errorCode: failure.code, errorMessage: failure.message, attemptsMade: attempts }));
}

interface ResponseRecord {
  recordId?: unknown;
  result?: unknown;
  data?: unknown;
  metadata?: { partitionKeys?: unknown } | null;
}

/** The function's answer, record by record (the response contract of §10.1). */
export function readResponse(payload: Buffer, recordIds: string[], attemptsMade: number, log: Logger, lambdaArn: string): LambdaOutcome[] {
  const failAll = (error: { code: string; message: string }): LambdaOutcome[] =>
    recordIds.map(() => ({ kind: 'failed', errorCode: error.code, errorMessage: error.message, attemptsMade }));
  let response: { records?: unknown };
  try {
    response = JSON.parse(payload.toString('utf8')) as { records?: unknown };
  } catch {
    log.warn({ errorCode: LAMBDA_ERRORS.JsonProcessingException.code, lambdaArn }, 'Lambda transform answered with something that is not JSON');
    return failAll(LAMBDA_ERRORS.JsonProcessingException);
  }
  if (!response || typeof response !== 'object' || !Array.isArray(response.records)) return failAll(LAMBDA_ERRORS.JsonProcessingException);
  const entries = response.records as ResponseRecord[];
  if (entries.some((entry) => !entry || typeof entry !== 'object' || typeof entry.recordId !== 'string')) return failAll(LAMBDA_ERRORS.JsonProcessingException);

  const positions = new Map(recordIds.map((id, position) => [id, position]));
  const outcomes: Array<LambdaOutcome | undefined> = Array.from({ length: recordIds.length }, () => undefined);
  const duplicated = new Set<number>();
  let unknown = 0;
  for (const entry of entries) {
    const position = positions.get(entry.recordId as string);
    if (position === undefined) {
      unknown++;
      continue;
    }
    if (outcomes[position]) duplicated.add(position);
    outcomes[position] = readEntry(entry, attemptsMade);
  }
  if (unknown > 0) log.warn({ lambdaArn, unknown }, 'Lambda transform returned record ids it was not given');
  const failed = (error: { code: string; message: string }): LambdaOutcome => ({ kind: 'failed', errorCode: error.code, errorMessage: error.message, attemptsMade });
  return outcomes.map((outcome, position) => {
    if (duplicated.has(position)) return failed(LAMBDA_ERRORS.DuplicatedRecordId);
    return outcome ?? failed(LAMBDA_ERRORS.MissingRecordId);
  });
}

/** Standard base64 as every language's encoder writes it (the data must be "after base64-encoding"). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function readEntry(entry: ResponseRecord, attemptsMade: number): LambdaOutcome {
  const malformed: LambdaOutcome = {
    kind: 'failed',
    errorCode: LAMBDA_ERRORS.JsonProcessingException.code,
    errorMessage: LAMBDA_ERRORS.JsonProcessingException.message,
    attemptsMade,
  };
  switch (entry.result) {
    case 'Dropped':
      return { kind: 'dropped', attemptsMade };
    case 'ProcessingFailed':
      return { kind: 'failed', errorCode: LAMBDA_ERRORS.ProcessingFailedStatus.code, errorMessage: LAMBDA_ERRORS.ProcessingFailedStatus.message, attemptsMade };
    case 'Ok': {
      if (typeof entry.data !== 'string' || !BASE64.test(entry.data)) return malformed;
      const outcome: LambdaOutcome = { kind: 'ok', data: Buffer.from(entry.data, 'base64'), attemptsMade };
      const keys = entry.metadata?.partitionKeys;
      if (keys !== undefined && keys !== null) {
        if (typeof keys !== 'object' || Array.isArray(keys)) return malformed;
        const partitionKeys: Record<string, string> = {};
        for (const [key, value] of Object.entries(keys as Record<string, unknown>)) {
          if (typeof value === 'string') partitionKeys[key] = value;
          else if (typeof value === 'number' || typeof value === 'boolean') partitionKeys[key] = String(value);
          else return malformed;
        }
        outcome.partitionKeys = partitionKeys;
      }
      return outcome;
    }
    default:
      return malformed;
  }
}
