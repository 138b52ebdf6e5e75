import type { DeliveryCounter, DeliveryMetrics } from '../firehose/delivery/metrics.js';

/**
 * Firehose counts its own metrics per delivery stream (firehose/delivery/metrics.ts, FIREHOSE-SPEC
 * §15: running totals since the process started). This reads them for Prometheus as they are and
 * for AWS/Firehose as what changed since the last publication.
 */
export interface DeliveryStreamRef {
  arn: string;
  name: string;
  account: string;
  region: string;
}

export interface FirehoseSource {
  /** Every delivery stream (all accounts and regions). */
  list(): Promise<DeliveryStreamRef[]>;
  /** The stream's counters in this process, if it has any. */
  metrics(arn: string): DeliveryMetrics | undefined;
}

/** The destinations whose counters Firehose keeps, by their CloudWatch prefix. */
export const DESTINATIONS = ['DeliveryToS3', 'BackupToS3', 'DeliveryToHttpEndpoint', 'DeliveryToAmazonOpenSearchService', 'DeliveryToSplunk'] as const;

/** Running totals of one stream as flat CloudWatch-named numbers (sums) and gauges. */
export function firehoseTotals(m: DeliveryMetrics): { sums: Record<string, number>; gauges: Record<string, number> } {
  const sums: Record<string, number> = {
    IncomingBytes: m.IncomingBytes,
    IncomingRecords: m.IncomingRecords,
    IncomingPutRequests: m.IncomingPutRequests,
    'ExecuteProcessing.Invocations': m.ExecuteProcessing.invocations,
    'ExecuteProcessing.Successes': m.ExecuteProcessing.successes,
    'SucceedProcessing.Records': m.SucceedProcessing.records,
    'SucceedProcessing.Bytes': m.SucceedProcessing.bytes,
    'FailedProcessing.Records': m.FailedProcessing.records,
    'SucceedConversion.Records': m.SucceedConversion.records,
    'SucceedConversion.Bytes': m.SucceedConversion.bytes,
    'FailedConversion.Records': m.FailedConversion.records,
    'FailedConversion.Bytes': m.FailedConversion.bytes,
    'DataReadFromKinesisStream.Bytes': m.KinesisSource.dataReadFromKinesisStreamBytes,
    'DataReadFromKinesisStream.Records': m.KinesisSource.dataReadFromKinesisStreamRecords,
    ThrottledGetRecords: m.KinesisSource.throttledGetRecords,
  };
  const gauges: Record<string, number> = {
    KinesisMillisBehindLatest: m.KinesisSource.kinesisMillisBehindLatest,
    PartitionCount: m.PartitionCount,
    PartitionCountExceeded: m.PartitionCountExceeded,
  };
  for (const destination of DESTINATIONS) {
    const c: DeliveryCounter = m[destination];
    sums[`${destination}.Bytes`] = c.bytes;
    sums[`${destination}.Records`] = c.records;
    sums[`${destination}.Attempts`] = c.attempts;
    sums[`${destination}.Successes`] = c.successes;
    gauges[`${destination}.DataFreshness`] = c.dataFreshnessMs;
  }
  return { sums, gauges };
}
