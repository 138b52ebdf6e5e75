/**
 * The counters of FIREHOSE-SPEC §15 kept per delivery stream (plain numbers since the process
 * started; the console and metrics issue exposes them). Put operations count the Incoming* ones
 * through `countIncoming`; the delivery engine counts the rest.
 */
import { newKinesisSourceMetrics, type KinesisSourceMetrics } from '../source/kinesis-source.js';

export interface DeliveryCounter {
  bytes: number;
  records: number;
  /** Attempts made and attempts that succeeded: `.Success` is their ratio. */
  attempts: number;
  successes: number;
  /** Age in ms of the oldest record in the last delivery (`.DataFreshness`). */
  dataFreshnessMs: number;
}

export interface DeliveryMetrics {
  IncomingBytes: number;
  IncomingRecords: number;
  IncomingPutRequests: number;
  /** PutRecordBatch entries refused by the throughput quota (`--enforce-limits`). */
  ThrottledRecords: number;
  DeliveryToS3: DeliveryCounter;
  BackupToS3: DeliveryCounter;
  DeliveryToHttpEndpoint: DeliveryCounter;
  DeliveryToAmazonOpenSearchService: DeliveryCounter;
  DeliveryToSplunk: DeliveryCounter;
  ExecuteProcessing: { durationMs: number; invocations: number; successes: number };
  SucceedProcessing: { records: number; bytes: number };
  FailedProcessing: { records: number };
  SucceedConversion: { records: number; bytes: number };
  FailedConversion: { records: number; bytes: number };
  JQProcessingDurationMs: number;
  PartitionCount: number;
  /** 1 while records are refused for the 500 active partitions limit, else 0. */
  PartitionCountExceeded: number;
  /** Records written to error output objects, by error output type. */
  ErrorOutputRecords: Record<string, number>;
  /** DataReadFromKinesisStream.*, KinesisMillisBehindLatest, ThrottledGetRecords (KinesisStreamAsSource). */
  KinesisSource: KinesisSourceMetrics;
}

const counter = (): DeliveryCounter => ({ bytes: 0, records: 0, attempts: 0, successes: 0, dataFreshnessMs: 0 });

export const newDeliveryMetrics = (): DeliveryMetrics => ({
  IncomingBytes: 0,
  IncomingRecords: 0,
  IncomingPutRequests: 0,
  ThrottledRecords: 0,
  DeliveryToS3: counter(),
  BackupToS3: counter(),
  DeliveryToHttpEndpoint: counter(),
  DeliveryToAmazonOpenSearchService: counter(),
  DeliveryToSplunk: counter(),
  ExecuteProcessing: { durationMs: 0, invocations: 0, successes: 0 },
  SucceedProcessing: { records: 0, bytes: 0 },
  FailedProcessing: { records: 0 },
  SucceedConversion: { records: 0, bytes: 0 },
  FailedConversion: { records: 0, bytes: 0 },
  JQProcessingDurationMs: 0,
  PartitionCount: 0,
  PartitionCountExceeded: 0,
  ErrorOutputRecords: {},
  KinesisSource: newKinesisSourceMetrics(),
});

/** Counters of every stream this process has seen, by delivery stream ARN. */
const registry = new Map<string, DeliveryMetrics>();

export function metricsFor(streamArn: string): DeliveryMetrics {
  let metrics = registry.get(streamArn);
  if (!metrics) registry.set(streamArn, (metrics = newDeliveryMetrics()));
  return metrics;
}

export const peekMetrics = (streamArn: string): DeliveryMetrics | undefined => registry.get(streamArn);

/** PutRecord / PutRecordBatch: IncomingBytes, IncomingRecords, IncomingPutRequests (one per call). */
export function countIncoming(streamArn: string, records: number, bytes: number, throttledRecords = 0): void {
  const metrics = metricsFor(streamArn);
  metrics.ThrottledRecords += throttledRecords;
  metrics.IncomingPutRequests += 1;
  metrics.IncomingRecords += records;
  metrics.IncomingBytes += bytes;
}

/** A stream deleted: its counters go with it. */
export const forgetMetrics = (streamArn: string): void => void registry.delete(streamArn);

export function countAttempt(counter: DeliveryCounter, ok: boolean, records: number, bytes: number, oldestArrival: number, now: number): void {
  counter.attempts += 1;
  if (!ok) return;
  counter.successes += 1;
  counter.records += records;
  counter.bytes += bytes;
  counter.dataFreshnessMs = Math.max(0, now - oldestArrival);
}
