import type { Logger } from 'pino';
import type { Sample } from './domain/aggregate.js';
import type { MetricEntry, MetricStore } from './domain/metric-store.js';
import type { Dimension } from './domain/metric-series.js';
import type { FirehoseSource } from '../metrics/firehose-metrics.js';
import { firehoseTotals } from '../metrics/firehose-metrics.js';
import { CONSUMER_METRICS, SHARD_METRICS, STREAM_METRICS, type KinesisMetrics } from '../metrics/kinesis-metrics.js';
import type { Stat } from '../metrics/stat.js';
import { VIDEO_METRICS, type VideoMetrics } from '../metrics/video-metrics.js';
import type { AnalyticsMetrics } from '../metrics/analytics-metrics.js';

/**
 * Publishes Millrace's own metrics into the CloudWatch store, as AWS publishes them
 * (CONSOLE-SPEC §2.1; FIREHOSE-SPEC §15): AWS/Kinesis with dimension StreamName (and ShardId for
 * enabled shard-level metrics, ConsumerName for enhanced fan-out), AWS/Firehose with
 * DeliveryStreamName, AWS/KinesisVideo with StreamName, AWS/KinesisAnalytics with Application. Each node publishes what it counted; the store merges every node's
 * contribution into the same one-minute aggregates.
 */

/** How often counters are written into the one-minute aggregates: the current minute fills in as it goes. */
export const PUBLISH_INTERVAL_MS = 10_000;
/** How often data past the 14-day retention is deleted. */
export const SWEEP_INTERVAL_MS = 3600_000;
/** How often counters of deleted streams are forgotten. */
export const FORGET_INTERVAL_MS = 3600_000;

export const KINESIS_NAMESPACE = 'AWS/Kinesis';
export const FIREHOSE_NAMESPACE = 'AWS/Firehose';
export const VIDEO_NAMESPACE = 'AWS/KinesisVideo';
export const ANALYTICS_NAMESPACE = 'AWS/KinesisAnalytics';
/** The job counters published to AWS/KinesisAnalytics (Managed Flink names; UNVERIFIED, see analytics-metrics.ts). */
const ANALYTICS_SUMS = { numRecordsIn: 'rowsIn', numRecordsOut: 'rowsOut', numLateRecordsDropped: 'lateRowsDropped' } as const;

/** Firehose's running totals as published: CloudWatch name → [total name, unit]. */
const FIREHOSE_SUMS: Record<string, [string, string]> = {
  IncomingBytes: ['IncomingBytes', 'Bytes'],
  IncomingRecords: ['IncomingRecords', 'Count'],
  IncomingPutRequests: ['IncomingPutRequests', 'Count'],
  'SucceedProcessing.Records': ['SucceedProcessing.Records', 'Count'],
  'SucceedProcessing.Bytes': ['SucceedProcessing.Bytes', 'Bytes'],
  'SucceedConversion.Records': ['SucceedConversion.Records', 'Count'],
  'SucceedConversion.Bytes': ['SucceedConversion.Bytes', 'Bytes'],
  'FailedConversion.Records': ['FailedConversion.Records', 'Count'],
  'FailedConversion.Bytes': ['FailedConversion.Bytes', 'Bytes'],
  'DataReadFromKinesisStream.Bytes': ['DataReadFromKinesisStream.Bytes', 'Bytes'],
  'DataReadFromKinesisStream.Records': ['DataReadFromKinesisStream.Records', 'Count'],
  ThrottledGetRecords: ['ThrottledGetRecords', 'Count'],
};
const FIREHOSE_DESTINATIONS = ['DeliveryToS3', 'BackupToS3', 'DeliveryToHttpEndpoint', 'DeliveryToAmazonOpenSearchService', 'DeliveryToSplunk'];

export interface PublisherOptions {
  kinesis: KinesisMetrics;
  firehose?: FirehoseSource;
  video?: VideoMetrics;
  analytics?: AnalyticsMetrics;
  store: MetricStore;
  log: Logger;
  /** Ids of the streams that exist, to forget counters of deleted ones. */
  liveStreamIds?: () => Promise<Set<string>>;
  now?: () => number;
}

export class MetricsPublisher {
  private readonly timers: NodeJS.Timeout[] = [];
  private publishing: Promise<void> = Promise.resolve();
  /** Firehose running totals at the last publication, by delivery stream ARN. */
  private readonly firehoseSeen = new Map<string, Record<string, number>>();

  constructor(private readonly options: PublisherOptions) {}

  start(): this {
    const every = (ms: number, work: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => void work().catch((err) => this.options.log.warn({ err }, what)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(PUBLISH_INTERVAL_MS, () => this.flush(), 'publishing metrics failed');
    every(SWEEP_INTERVAL_MS, () => this.options.store.sweep(), 'deleting expired metrics failed');
    if (this.options.liveStreamIds) every(FORGET_INTERVAL_MS, async () => this.options.kinesis.retain(await this.options.liveStreamIds!()), 'forgetting deleted streams failed');
    return this;
  }

  /** Publishes what was counted since the last publication (one at a time: a flush waits for the one running). */
  flush(): Promise<void> {
    this.publishing = this.publishing.then(() => this.publish()).catch((err) => this.options.log.warn({ err }, 'publishing metrics failed'));
    return this.publishing;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.flush();
  }

  private async publish(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const byScope = new Map<string, { scope: { account: string; region: string }; entries: MetricEntry[] }>();
    const push = (account: string, region: string, entry: MetricEntry) => {
      const key = `${account}\n${region}`;
      let group = byScope.get(key);
      if (!group) byScope.set(key, (group = { scope: { account, region }, entries: [] }));
      group.entries.push(entry);
    };
    const fromStat = (stat: Stat): Sample | undefined => {
      if (stat.n === 0) return undefined;
      const sample: Sample = { kind: 'set', sampleCount: stat.n, sum: stat.s, min: stat.lo, max: stat.hi };
      stat.reset();
      return sample;
    };
    const entry = (namespace: string, metricName: string, dimensions: Dimension[], unit: string, sample: Sample): MetricEntry => ({
      metric: { namespace, metricName, dimensions },
      timestamp: now,
      unit,
      sample,
    });

    for (const m of this.options.kinesis.streams.values()) {
      const stream = [{ Name: 'StreamName', Value: m.name }];
      for (const [name, unit] of Object.entries(STREAM_METRICS)) {
        const sample = fromStat(m.stats[name as keyof typeof STREAM_METRICS]);
        if (sample) push(m.account, m.region, entry(KINESIS_NAMESPACE, name, stream, unit, sample));
      }
      for (const c of m.consumers.values()) {
        const dims = [...stream, { Name: 'ConsumerName', Value: c.name }];
        for (const [name, unit] of Object.entries(CONSUMER_METRICS)) {
          const sample = fromStat(c.stats[name as keyof typeof CONSUMER_METRICS]);
          if (sample) push(m.account, m.region, entry(KINESIS_NAMESPACE, name, dims, unit, sample));
        }
      }
      for (const s of m.shards.values()) {
        const dims = [...stream, { Name: 'ShardId', Value: s.shardId }];
        for (const [name, unit] of Object.entries(SHARD_METRICS)) {
          const sample = fromStat(s.stats[name as keyof typeof SHARD_METRICS]);
          if (sample && m.shardLevel(name as keyof typeof SHARD_METRICS)) push(m.account, m.region, entry(KINESIS_NAMESPACE, name, dims, unit, sample));
        }
      }
    }

    const firehose = this.options.firehose;
    if (firehose) {
      for (const ref of await firehose.list()) {
        const metrics = firehose.metrics(ref.arn);
        if (!metrics) continue;
        const { sums, gauges } = firehoseTotals(metrics);
        const seen = this.firehoseSeen.get(ref.arn) ?? {};
        this.firehoseSeen.set(ref.arn, sums);
        const delta = (name: string) => sums[name] - (seen[name] ?? 0);
        const dims = [{ Name: 'DeliveryStreamName', Value: ref.name }];
        const counted = (metricName: string, unit: string, value: number, samples = 1) =>
          push(ref.account, ref.region, entry(FIREHOSE_NAMESPACE, metricName, dims, unit, { kind: 'set', sampleCount: samples, sum: value, min: value, max: value }));
        for (const [metricName, [total, unit]] of Object.entries(FIREHOSE_SUMS)) {
          const value = delta(total);
          if (value > 0) counted(metricName, unit, value);
        }
        for (const destination of FIREHOSE_DESTINATIONS) {
          const attempts = delta(`${destination}.Attempts`);
          if (attempts <= 0) continue;
          const successes = delta(`${destination}.Successes`);
          counted(`${destination}.Records`, 'Count', delta(`${destination}.Records`));
          counted(`${destination}.Bytes`, 'Bytes', delta(`${destination}.Bytes`));
          // `.Success` is the ratio of successful attempts: Average over the attempts.
          push(ref.account, ref.region, entry(FIREHOSE_NAMESPACE, `${destination}.Success`, dims, 'Count', {
            kind: 'set',
            sampleCount: attempts,
            sum: successes,
            min: successes === attempts ? 1 : 0,
            max: successes > 0 ? 1 : 0,
          }));
          const freshness = gauges[`${destination}.DataFreshness`] / 1000;
          counted(`${destination}.DataFreshness`, 'Seconds', freshness);
        }
        const invocations = delta('ExecuteProcessing.Invocations');
        if (invocations > 0) {
          const successes = delta('ExecuteProcessing.Successes');
          push(ref.account, ref.region, entry(FIREHOSE_NAMESPACE, 'ExecuteProcessing.Success', dims, 'Count', {
            kind: 'set',
            sampleCount: invocations,
            sum: successes,
            min: successes === invocations ? 1 : 0,
            max: successes > 0 ? 1 : 0,
          }));
        }
        if (gauges.KinesisMillisBehindLatest > 0 || delta('DataReadFromKinesisStream.Records') > 0) {
          counted('KinesisMillisBehindLatest', 'Milliseconds', gauges.KinesisMillisBehindLatest);
        }
      }
    }
    for (const m of this.options.video?.streams.values() ?? []) {
      const dims = [{ Name: 'StreamName', Value: m.name }];
      for (const [name, unit] of Object.entries(VIDEO_METRICS)) {
        const sample = fromStat(m.stats[name as keyof typeof VIDEO_METRICS]);
        if (sample) push(m.account, m.region, entry(VIDEO_NAMESPACE, name, dims, unit, sample));
      }
    }

    for (const m of this.options.analytics?.applications.values() ?? []) {
      const dims = [{ Name: 'Application', Value: m.name }];
      for (const [metricName, field] of Object.entries(ANALYTICS_SUMS)) {
        const total = m.total(field);
        const value = total - m.published[field];
        m.published[field] = total;
        if (value > 0) push(m.account, m.region, entry(ANALYTICS_NAMESPACE, metricName, dims, 'Count', { kind: 'set', sampleCount: 1, sum: value, min: value, max: value }));
      }
      if (m.watermarkMs !== undefined) {
        const w = m.watermarkMs;
        push(m.account, m.region, entry(ANALYTICS_NAMESPACE, 'currentOutputWatermark', dims, 'Milliseconds', { kind: 'set', sampleCount: 1, sum: w, min: w, max: w }));
      }
    }
    await Promise.all([...byScope.values()].map((group) => this.options.store.put(group.scope, group.entries)));
  }
}
