import { collectDefaultMetrics, Registry } from 'prom-client';
import type { StreamMeta } from '../kinesis/domain/stream.js';
import { CONNECTION_PROTOCOLS, type ConnectionMetrics } from './connections.js';
import { DESTINATIONS, firehoseTotals, type FirehoseSource } from './firehose-metrics.js';
import type { KinesisMetrics, ShardMetricName, StreamMetrics } from './kinesis-metrics.js';
import type { VideoMetrics, VideoStreamMetrics } from './video-metrics.js';
import type { AnalyticsMetrics, ApplicationMetrics } from './analytics-metrics.js';
import { DURATION_BUCKETS, OUTCOMES, type RequestMetrics } from './request-metrics.js';

/**
 * The Prometheus page (`/_millrace/metrics`, `/metrics`; CONSOLE-SPEC §2.2–2.3): a prom-client
 * registry whose Millrace metrics are read at scrape time from the counters the request path
 * keeps in place, so scraping costs the request path nothing. Names follow Prometheus's
 * conventions (base units, `_total` counters); each help text names the CloudWatch metric it
 * stands beside. Labels: `account`, `region`, `stream`; `shard` only on the `millrace_shard_*`
 * metrics, and only for streams whose enhanced monitoring enabled that metric (bounded by the
 * user's choice, as on AWS).
 */

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** A metric prom-client's registry reads through `get()` (its collector contract). */
class ScrapedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly read: () => Sample[] | Promise<Sample[]>,
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: await this.read() };
  }
}

export interface PrometheusSources {
  kinesis: KinesisMetrics;
  requests: RequestMetrics;
  connections: ConnectionMetrics;
  video?: VideoMetrics;
  analytics?: AnalyticsMetrics;
  /** Every Kinesis stream (gauges of streams and shards, read at scrape time). */
  streams: () => Promise<StreamMeta[]>;
  firehose?: FirehoseSource;
  version: string;
  storeKind: string;
}

const streamLabels = (m: StreamMetrics): Labels => ({ account: m.account, region: m.region, stream: m.name });

export function createPrometheusRegistry(sources: PrometheusSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const add = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Sample[] | Promise<Sample[]>) =>
    registry.registerMetric(new ScrapedMetric(name, help, type, read) as never);
  const { kinesis, requests, connections } = sources;
  const perStream = (read: (m: StreamMetrics) => Sample[]) => () => [...kinesis.streams.values()].flatMap(read);

  add('millrace_build_info', 'Millrace version and store (value 1).', 'gauge', () => [{ value: 1, labels: { version: sources.version, store: sources.storeKind } }]);

  // Requests, all services on the JSON pipeline and CloudWatch.
  add('millrace_requests_total', 'Requests by service, operation and outcome (CloudWatch: {Operation}.Success is success / all).', 'counter', () =>
    [...requests.services.values()].flatMap((ops) =>
      [...ops.values()].flatMap((o) => OUTCOMES.map((outcome, i) => ({ value: o.outcomes[i], labels: { service: o.service, operation: o.operation, outcome } }))),
    ),
  );
  add('millrace_request_duration_seconds', 'Request durations (CloudWatch: {Operation}.Latency in ms; Average ≈ sum/count).', 'histogram', () =>
    [...requests.services.values()].flatMap((ops) =>
      [...ops.values()].flatMap((o) => {
        const labels = { service: o.service, operation: o.operation };
        const samples: Sample[] = [];
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += o.buckets[i];
          samples.push({ metricName: 'millrace_request_duration_seconds_bucket', value: cumulative, labels: { ...labels, le } });
        });
        samples.push({ metricName: 'millrace_request_duration_seconds_bucket', value: o.count, labels: { ...labels, le: '+Inf' } });
        samples.push({ metricName: 'millrace_request_duration_seconds_sum', value: o.sumSeconds, labels });
        samples.push({ metricName: 'millrace_request_duration_seconds_count', value: o.count, labels });
        return samples;
      }),
    ),
  );

  // Kinesis, per stream.
  add('millrace_incoming_records_total', 'Records put to a stream (CloudWatch AWS/Kinesis IncomingRecords, Sum).', 'counter',
    perStream((m) => [{ value: m.stats.IncomingRecords.totalSum(), labels: streamLabels(m) }]));
  add('millrace_incoming_bytes_total', 'Bytes (data + partition keys) put to a stream (CloudWatch IncomingBytes, Sum).', 'counter',
    perStream((m) => [{ value: m.stats.IncomingBytes.totalSum(), labels: streamLabels(m) }]));
  add('millrace_put_records_entries_total', 'PutRecords entries by result (CloudWatch PutRecords.SuccessfulRecords / ThrottledRecords / FailedRecords, Sum).', 'counter',
    perStream((m) => [
      { value: m.stats['PutRecords.SuccessfulRecords'].totalSum(), labels: { ...streamLabels(m), result: 'success' } },
      { value: m.stats['PutRecords.ThrottledRecords'].totalSum(), labels: { ...streamLabels(m), result: 'throttled' } },
      { value: m.stats['PutRecords.FailedRecords'].totalSum(), labels: { ...streamLabels(m), result: 'failed' } },
    ]));
  const subscribed = (m: StreamMetrics, stat: 'SubscribeToShardEvent.Records' | 'SubscribeToShardEvent.Bytes') =>
    [...m.consumers.values()].reduce((sum, c) => sum + c.stats[stat].totalSum(), 0);
  add('millrace_outgoing_records_total', 'Records read from a stream, by API (CloudWatch GetRecords.Records / SubscribeToShardEvent.Records, Sum).', 'counter',
    perStream((m) => [
      { value: m.stats['GetRecords.Records'].totalSum(), labels: { ...streamLabels(m), api: 'GetRecords' } },
      { value: subscribed(m, 'SubscribeToShardEvent.Records'), labels: { ...streamLabels(m), api: 'SubscribeToShard' } },
    ]));
  add('millrace_outgoing_bytes_total', 'Bytes read from a stream, by API (CloudWatch GetRecords.Bytes / SubscribeToShardEvent.Bytes, Sum).', 'counter',
    perStream((m) => [
      { value: m.stats['GetRecords.Bytes'].totalSum(), labels: { ...streamLabels(m), api: 'GetRecords' } },
      { value: subscribed(m, 'SubscribeToShardEvent.Bytes'), labels: { ...streamLabels(m), api: 'SubscribeToShard' } },
    ]));
  add('millrace_throttled_total', 'Throttled writes (records) and reads (calls) (CloudWatch WriteProvisionedThroughputExceeded / ReadProvisionedThroughputExceeded, Sum).', 'counter',
    perStream((m) => [
      { value: m.stats.WriteProvisionedThroughputExceeded.totalSum(), labels: { ...streamLabels(m), direction: 'write' } },
      { value: m.stats.ReadProvisionedThroughputExceeded.totalSum(), labels: { ...streamLabels(m), direction: 'read' } },
    ]));
  add('millrace_iterator_age_seconds', "Age of the last record of each shard's last GetRecords, the largest over shards (CloudWatch GetRecords.IteratorAgeMilliseconds, Maximum).", 'gauge',
    perStream((m) => (m.iteratorAges.size ? [{ value: Math.max(...m.iteratorAges.values()) / 1000, labels: streamLabels(m) }] : [])));
  add('millrace_subscription_behind_latest_seconds', "How far a consumer's last event was behind the shard's tip (CloudWatch SubscribeToShardEvent.MillisBehindLatest).", 'gauge',
    perStream((m) => [...m.consumers.values()].map((c) => ({ value: c.stats['SubscribeToShardEvent.MillisBehindLatest'].last / 1000, labels: { ...streamLabels(m), consumer: c.name } }))));
  add('millrace_subscriptions', 'SubscribeToShard subscriptions open on this node (CloudWatch SubscribeToShard.Success counts their starts).', 'gauge',
    perStream((m) => [...m.consumers.values()].map((c) => ({ value: c.active, labels: { ...streamLabels(m), consumer: c.name } }))));
  add('millrace_subscribe_rate_exceeded_total', 'SubscribeToShard calls refused for their rate (CloudWatch SubscribeToShard.RateExceeded).', 'counter',
    perStream((m) => [...m.consumers.values()].map((c) => ({ value: c.stats['SubscribeToShard.RateExceeded'].totalSum(), labels: { ...streamLabels(m), consumer: c.name } }))));

  // Enhanced shard-level metrics, only where enabled.
  const perShard = (metric: ShardMetricName, read: (value: { sum: number; last: number }) => number, extra: Labels = {}) =>
    perStream((m) =>
      m.shardLevel(metric)
        ? [...m.shards.values()].map((s) => ({ value: read({ sum: s.stats[metric].totalSum(), last: s.stats[metric].last }), labels: { ...streamLabels(m), shard: s.shardId, ...extra } }))
        : [],
    );
  add('millrace_shard_incoming_records_total', 'Records put to a shard (CloudWatch shard-level IncomingRecords; enhanced monitoring).', 'counter', perShard('IncomingRecords', (v) => v.sum));
  add('millrace_shard_incoming_bytes_total', 'Bytes put to a shard (CloudWatch shard-level IncomingBytes; enhanced monitoring).', 'counter', perShard('IncomingBytes', (v) => v.sum));
  add('millrace_shard_outgoing_records_total', 'Records read from a shard by GetRecords and SubscribeToShard (CloudWatch OutgoingRecords; enhanced monitoring).', 'counter', perShard('OutgoingRecords', (v) => v.sum));
  add('millrace_shard_outgoing_bytes_total', 'Bytes read from a shard (CloudWatch OutgoingBytes; enhanced monitoring).', 'counter', perShard('OutgoingBytes', (v) => v.sum));
  add('millrace_shard_write_throttled_total', 'Records throttled on a shard (CloudWatch shard-level WriteProvisionedThroughputExceeded; enhanced monitoring).', 'counter',
    perShard('WriteProvisionedThroughputExceeded', (v) => v.sum));
  add('millrace_shard_read_throttled_total', 'GetRecords calls throttled on a shard (CloudWatch shard-level ReadProvisionedThroughputExceeded; enhanced monitoring).', 'counter',
    perShard('ReadProvisionedThroughputExceeded', (v) => v.sum));
  add('millrace_shard_iterator_age_seconds', "Age of the last record of the shard's last GetRecords (CloudWatch shard-level IteratorAgeMilliseconds; enhanced monitoring).", 'gauge',
    perShard('IteratorAgeMilliseconds', (v) => v.last / 1000));

  // Streams and shards as the store has them.
  add('millrace_streams', 'Kinesis streams by status (no CloudWatch equivalent; ListStreams).', 'gauge', async () => {
    const byStatus = new Map<string, number>();
    for (const s of await sources.streams()) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    return [...byStatus].map(([status, value]) => ({ value, labels: { status } }));
  });
  add('millrace_open_shards', 'Open shards of a stream (no CloudWatch equivalent; DescribeStreamSummary OpenShardCount).', 'gauge', async () =>
    (await sources.streams()).map((s) => ({
      value: s.shards.filter((shard) => shard.closedAt === undefined).length,
      labels: { account: s.account, region: s.region, stream: s.name },
    })),
  );

  add('millrace_connections', 'Open client connections by protocol (no CloudWatch equivalent).', 'gauge', () =>
    CONNECTION_PROTOCOLS.map((protocol) => ({ value: connections.open[protocol], labels: { protocol } })));
  add('millrace_connections_accepted_total', 'Client connections accepted by protocol.', 'counter', () =>
    CONNECTION_PROTOCOLS.map((protocol) => ({ value: connections.accepted[protocol], labels: { protocol } })));

  // Firehose, per delivery stream, from its own counters.
  const firehose = sources.firehose;
  if (firehose) {
    const perDelivery = (read: (totals: ReturnType<typeof firehoseTotals>, labels: Labels) => Sample[]) => async () => {
      const samples: Sample[] = [];
      for (const ref of await firehose.list()) {
        const m = firehose.metrics(ref.arn);
        if (m) samples.push(...read(firehoseTotals(m), { account: ref.account, region: ref.region, delivery_stream: ref.name }));
      }
      return samples;
    };
    add('millrace_firehose_incoming_records_total', 'Records put to a delivery stream (CloudWatch AWS/Firehose IncomingRecords, Sum).', 'counter',
      perDelivery((t, labels) => [{ value: t.sums.IncomingRecords, labels }]));
    add('millrace_firehose_incoming_bytes_total', 'Bytes put to a delivery stream (CloudWatch AWS/Firehose IncomingBytes, Sum).', 'counter',
      perDelivery((t, labels) => [{ value: t.sums.IncomingBytes, labels }]));
    add('millrace_firehose_put_requests_total', 'PutRecord and PutRecordBatch calls (CloudWatch AWS/Firehose IncomingPutRequests, Sum).', 'counter',
      perDelivery((t, labels) => [{ value: t.sums.IncomingPutRequests, labels }]));
    add('millrace_firehose_delivered_records_total', 'Records delivered, by destination (CloudWatch DeliveryToS3.Records, …, Sum).', 'counter',
      perDelivery((t, labels) => DESTINATIONS.map((d) => ({ value: t.sums[`${d}.Records`], labels: { ...labels, destination: d } }))));
    add('millrace_firehose_delivered_bytes_total', 'Bytes delivered, by destination (CloudWatch DeliveryToS3.Bytes, …, Sum).', 'counter',
      perDelivery((t, labels) => DESTINATIONS.map((d) => ({ value: t.sums[`${d}.Bytes`], labels: { ...labels, destination: d } }))));
    add('millrace_firehose_delivery_attempts_total', 'Delivery attempts by destination and result (CloudWatch DeliveryToS3.Success = success / all).', 'counter',
      perDelivery((t, labels) =>
        DESTINATIONS.flatMap((d) => [
          { value: t.sums[`${d}.Successes`], labels: { ...labels, destination: d, result: 'success' } },
          { value: t.sums[`${d}.Attempts`] - t.sums[`${d}.Successes`], labels: { ...labels, destination: d, result: 'failure' } },
        ]),
      ));
    add('millrace_firehose_data_freshness_seconds', 'Age of the oldest record of the last delivery, by destination (CloudWatch DeliveryToS3.DataFreshness).', 'gauge',
      perDelivery((t, labels) => DESTINATIONS.map((d) => ({ value: t.gauges[`${d}.DataFreshness`] / 1000, labels: { ...labels, destination: d } }))));
  }
  // Video, per stream, from the media side's hooks.
  const video = sources.video;
  if (video) {
    const perVideo = (read: (m: VideoStreamMetrics, labels: Labels) => Sample[]) => () =>
      [...video.streams.values()].flatMap((m) => read(m, { account: m.account, region: m.region, stream: m.name }));
    add('millrace_video_put_media_requests_total', 'PutMedia connections accepted (CloudWatch AWS/KinesisVideo PutMedia.Requests, Sum).', 'counter',
      perVideo((m, labels) => [{ value: m.stats['PutMedia.Requests'].totalSum(), labels }]));
    add('millrace_video_incoming_bytes_total', 'Media bytes received by PutMedia (CloudWatch PutMedia.IncomingBytes, Sum).', 'counter',
      perVideo((m, labels) => [{ value: m.stats['PutMedia.IncomingBytes'].totalSum(), labels }]));
    add('millrace_video_incoming_fragments_total', 'Fragments committed from PutMedia (CloudWatch PutMedia.IncomingFragments, Sum).', 'counter',
      perVideo((m, labels) => [{ value: m.stats['PutMedia.IncomingFragments'].totalSum(), labels }]));
    const reads = ['GetMedia', 'GetMediaForFragmentList'] as const;
    add('millrace_video_media_requests_total', 'GetMedia and GetMediaForFragmentList requests accepted (CloudWatch GetMedia.Requests, …, Sum).', 'counter',
      perVideo((m, labels) => reads.map((api) => ({ value: m.stats[`${api}.Requests`].totalSum(), labels: { ...labels, api } }))));
    add('millrace_video_outgoing_bytes_total', 'Media bytes sent to readers, by API (CloudWatch GetMedia.OutgoingBytes, …, Sum).', 'counter',
      perVideo((m, labels) => reads.map((api) => ({ value: m.stats[`${api}.OutgoingBytes`].totalSum(), labels: { ...labels, api } }))));
    add('millrace_video_outgoing_fragments_total', 'Fragments sent to readers, by API (CloudWatch GetMedia.OutgoingFragments, …, Sum).', 'counter',
      perVideo((m, labels) => reads.map((api) => ({ value: m.stats[`${api}.OutgoingFragments`].totalSum(), labels: { ...labels, api } }))));
  }

  // Analytics, per application, from the runner's reports.
  const analytics = sources.analytics;
  if (analytics) {
    const perApp = (read: (m: ApplicationMetrics, labels: Labels) => Sample[]) => () =>
      [...analytics.applications.values()].flatMap((m) => read(m, { account: m.account, region: m.region, application: m.name }));
    add('millrace_analytics_rows_in_total', 'Rows read by an application\'s job from its sources (CloudWatch AWS/KinesisAnalytics numRecordsIn, Sum).', 'counter',
      perApp((m, labels) => [{ value: m.total('rowsIn'), labels }]));
    add('millrace_analytics_rows_out_total', 'Rows written by an application\'s job to its sinks (CloudWatch numRecordsOut, Sum).', 'counter',
      perApp((m, labels) => [{ value: m.total('rowsOut'), labels }]));
    add('millrace_analytics_late_rows_dropped_total', 'Rows dropped because their window had fired (CloudWatch numLateRecordsDropped, Sum).', 'counter',
      perApp((m, labels) => [{ value: m.total('lateRowsDropped'), labels }]));
    add('millrace_analytics_records_skipped_total', 'Source records skipped as unparsable (ignore-parse-errors).', 'counter',
      perApp((m, labels) => [{ value: m.total('recordsSkipped'), labels }]));
    add('millrace_analytics_watermark_seconds', 'Event-time watermark of the job, as epoch seconds (CloudWatch currentOutputWatermark, in ms).', 'gauge',
      perApp((m, labels) => (m.watermarkMs === undefined ? [] : [{ value: m.watermarkMs / 1000, labels }])));
  }
  return registry;
}
