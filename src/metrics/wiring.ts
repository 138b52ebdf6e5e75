import type { Logger } from 'pino';
import type { Page } from '../builtin/pages.js';
import { createCloudWatchService, type CloudWatchService } from '../cloudwatch/service.js';
import { MetricStore } from '../cloudwatch/domain/metric-store.js';
import { MetricsPublisher } from '../cloudwatch/publisher.js';
import type { Config } from '../config.js';
import type { DeliveryEngine } from '../firehose/delivery/engine.js';
import type { Firehose } from '../firehose/context.js';
import type { Kinesis } from '../kinesis/context.js';
import type { Authenticator } from '../protocol/authenticator.js';
import type { Store } from '../store/store.js';
import type { RequestHandler } from '../transport/listener.js';
import { VERSION } from '../version.js';
import type { FirehoseSource } from './firehose-metrics.js';
import { metricsPage, MillraceMetrics } from './metrics.js';

/** What server.ts wires: the counters, the CloudWatch service, the Prometheus page and the publisher. */
export interface Metrics {
  readonly counters: MillraceMetrics;
  readonly cloudwatch: CloudWatchService;
  /** `/_millrace/metrics` */
  readonly page: Page;
  /** `GET /metrics` */
  readonly handler: RequestHandler;
  /** Gives the sources read at scrape and publication time, once they exist. */
  bind(kinesis: Kinesis, firehose: () => Firehose): void;
  stop(): Promise<void>;
}

export function startMetrics(deps: { store: Store; authenticator: Authenticator; log: Logger; config: Config; delivery: () => DeliveryEngine | undefined }): Metrics {
  const counters = new MillraceMetrics();
  const metricStore = new MetricStore(deps.store);
  let kinesis: Kinesis | undefined;
  let firehose: (() => Firehose) | undefined;
  const firehoseSource: FirehoseSource = {
    list: async () => (firehose ? (await firehose().streams.listAll()).map((d) => ({ arn: d.arn, name: d.name, account: d.account, region: d.region })) : []),
    metrics: (arn) => deps.delivery()?.metrics(arn),
  };
  const publisher = new MetricsPublisher({
    kinesis: counters.kinesis,
    firehose: firehoseSource,
    video: counters.video,
    analytics: counters.analytics,
    store: metricStore,
    log: deps.log,
    liveStreamIds: async () => new Set((kinesis ? await kinesis.streams.listAll() : []).map((s) => s.id)),
  }).start();
  const cloudwatch = createCloudWatchService({
    metrics: metricStore,
    authenticator: deps.authenticator,
    log: deps.log,
    bodyIdleTimeoutMs: deps.config.bodyTimeoutMs,
    beforeRead: () => publisher.flush(),
    requests: counters.requests,
  });
  let page: Page | undefined;
  const pageOf = () =>
    (page ??= metricsPage(
      counters.prometheus({
        streams: async () => (kinesis ? kinesis.streams.listAll() : []),
        firehose: firehoseSource,
        version: VERSION,
        storeKind: deps.store.kind,
      }),
    ));
  const fail = (err: unknown, res: Parameters<RequestHandler>[1]) => {
    deps.log.error({ err }, 'metrics page failed');
    if (!res.headersSent) {
      res.writeHead(500);
      res.end();
    }
  };
  let stopped = false;
  return {
    counters,
    cloudwatch,
    page: (req, res, url) => pageOf()(req, res, url),
    handler: (req, res) => void Promise.resolve(pageOf()(req, res, new URL(req.url ?? '/', 'http://localhost'))).catch((err) => fail(err, res)),
    bind(k, f) {
      kinesis = k;
      firehose = f;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await publisher.stop();
    },
  };
}
