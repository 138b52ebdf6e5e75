import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_CONFIG, type Config } from './config.js';
import { createLogger } from './log.js';
import { createPipeline } from './protocol/pipeline.js';
import { createRouter, type HttpService } from './protocol/router.js';
import { createAuthenticator } from './protocol/authenticator.js';
import { createBuiltinPages, type Page } from './builtin/pages.js';
import { healthPage, indexPage } from './builtin/health.js';
import { listen, SHUTDOWN_DRAIN_MS, type Listener } from './transport/listener.js';
import { openLmdbStore } from './store/lmdb-store.js';
import { openMemoryStore } from './store/memory-store.js';
import { lockDataDir, type DataDirLock } from './store/data-dir-lock.js';
import type { Store } from './store/store.js';
import { createKinesisService } from './kinesis/service.js';
import type { Kinesis } from './kinesis/context.js';
import { Streams } from './kinesis/domain/streams.js';
import { startBackgroundWork } from './kinesis/background.js';
import { declareStreams } from './kinesis/declared-streams.js';
import { Leases } from './leases/leases.js';
import { endSubscriptions } from './kinesis/domain/subscriptions.js';
import { openFunctionInvoker } from './functions/open.js';
import type { FunctionInvoker } from './functions/invoker.js';
import { createLambdaService } from './lambda/service.js';
import { startVideoLifecycleSweep } from './video/background.js';
import { createVideoContext, createVideoService } from './video/service.js';
import { createVideoMediaRoutes } from './video/media/routes.js';
import { createSignaling, withSignaling, type Signaling } from './video/signaling/signaling.js';
import type { VideoMediaRoutes } from './video/context.js';
import { openObjectStore } from './objects/open.js';
import type { ObjectStore } from './objects/object-store.js';
import { createS3Service } from './s3/service.js';
import { createGlueService, GLUE_SIGNING_NAME } from './glue/service.js';
import { storeGlueCatalog } from './glue/catalog.js';
import { startDelivery, type DeliveryEngine } from './firehose/delivery/engine.js';
import { createFirehoseService, FIREHOSE_SIGNING_NAME } from './firehose/service.js';
import type { Firehose } from './firehose/context.js';
import { DeliveryStreams } from './firehose/domain/delivery-streams.js';
import { PutThroughput } from './firehose/domain/throughput.js';
import { startLifecycleSweep } from './firehose/background.js';
import { createConsole, type Console } from './console/console.js';
import { startMetrics, type Metrics } from './metrics/wiring.js';
import { ANALYTICS_SIGNING_NAME, createAnalyticsServices } from './analytics/service.js';
import { createAnalytics, type Analytics } from './analytics/open.js';
import { startAnalyticsLifecycle } from './analytics/background.js';

export interface Millrace {
  /** `http://host:port` */
  readonly endpoint: string;
  /** `https://host:port` when TLS is served too (on the same port). */
  readonly secureEndpoint?: string;
  /** The certificate `--tls` generated, for clients to trust; undefined with --tls-cert or without TLS. */
  readonly certificateFile?: string;
  readonly port: number;
  readonly kinesis: Kinesis;
  /** The Firehose control plane and ingest (firehose/); delivery reads the same store. */
  readonly firehose: Firehose;
  /** Kinesis Data Analytics (analytics/): both control planes; `runner` runs the jobs. */
  readonly analytics: Analytics;
  readonly store: Store;
  /** Background work that runs on one node at a time (Firehose delivery, Analytics, the Kinesis sweep). */
  readonly leases: Leases;
  /** Lambda functions as Firehose and Analytics call them (functions/open.ts). */
  readonly functions: FunctionInvoker;
  /** Where objects are kept: the S3 API's buckets, and the family's deliveries. */
  readonly objects: ObjectStore;
  /** Firehose delivery (firehose/delivery/engine.ts): one lease per delivery stream. */
  readonly delivery: DeliveryEngine;
  /** What GetImages decodes with (video/images/choose-decoder.ts), for the banner. */
  readonly imagesDecoder?: string;
  /** Stops accepting, lets requests in flight finish (SHUTDOWN_DRAIN_MS at most), closes the store. */
  close(): Promise<void>;
}

/** Opens the store and serves the family on one port until closed. */
export async function startMillrace(overrides: Partial<Config> = {}, logger?: Logger): Promise<Millrace> {
  const config: Config = { ...DEFAULT_CONFIG, ...overrides };
  if (config.memory) delete config.dataDir;
  const log = logger ?? createLogger(config.logLevel, config.logFormat);
  // One server per data directory, locked before anything in it is opened (data-dir-lock.ts);
  // the lock is released only after the store has been closed. Whatever else comes to live under
  // the directory (the object store's s3/) is covered by this one lock: a mode that opens files
  // there without the embedded store must take it too.
  const dataDirLock: DataDirLock | undefined = !config.store && !config.memory && config.dataDir ? await lockDataDir(config.dataDir) : undefined;
  // The NATS client and the certificate generator are loaded only by the modes that use them: they
  // were most of the time a default start spent loading modules.
  let store: Store;
  try {
    store = config.store
      ? await (await import('./store/nats-store.js')).openNatsStore({
          url: config.store,
          replicas: config.replicas,
          user: config.natsUser,
          pass: config.natsPass,
          creds: config.natsCreds,
          tlsCa: config.natsTlsCa,
        })
      : config.memory || !config.dataDir
        ? openMemoryStore()
        : openLmdbStore({ path: config.dataDir });
  } catch (err) {
    await dataDirLock?.release();
    throw err;
  }
  // What has been opened, closed in reverse order if the start fails part way.
  const opened: Array<() => Promise<void>> = [
    async () => {
      await store.close();
      await dataDirLock?.release();
    },
  ];
  let functions: FunctionInvoker;
  let objects: ObjectStore;
  let leases: Leases;
  let kinesis: Kinesis;
  let delivery: DeliveryEngine;
  let firehose: Firehose;
  let analytics: Analytics;
  let analyticsBackground: { wake(): void; stop(): Promise<void> };
  let listener: Listener;
  let webConsole: Console;
  let endpoint = '';
  let metrics: Metrics;
  let certificateFile: string | undefined;
  let signaling: Signaling;
  let videoMedia: VideoMediaRoutes | undefined;
  try {
    functions = await openFunctionInvoker(config, log);
    opened.push(() => functions.close());
    objects = await openObjectStore({ config, store, log });
    opened.push(() => objects.close());
    const authenticator = createAuthenticator(config);
    metrics = startMetrics({ store, authenticator, log, config, delivery: () => delivery });
    opened.push(() => metrics.stop());
    kinesis = { config, store, streams: new Streams(store, config), metrics: metrics.counters.kinesis };
    metrics.bind(kinesis, () => firehose);
    firehose = { config, store, kinesis, streams: new DeliveryStreams(store), throughput: new PutThroughput(config.enforceLimits) };
    const video = { ...createVideoContext(config, store, log), metrics: metrics.counters.video };
    const jsonServices = [
      await createKinesisService(kinesis, authenticator),
      await createFirehoseService(firehose, authenticator),
      await createGlueService(store, authenticator),
    ];
    analytics = createAnalytics({ config, store, objects, kinesis, firehose });
    analytics.metrics = metrics.counters.analytics;
    jsonServices.push(...(await createAnalyticsServices(analytics, authenticator)));
    /** Signing names of the JSON services, as the AWS CLI and SDKs scope their requests. */
    const jsonSigningNames = ['kinesis', FIREHOSE_SIGNING_NAME, GLUE_SIGNING_NAME, ANALYTICS_SIGNING_NAME];
    const restServices: HttpService[] = [
      // Before S3: S3 claims every anonymous path-style GET, the video playback URLs are exact paths.
      await createVideoService(video, authenticator, withSignaling((videoMedia = createVideoMediaRoutes(video)), (signaling = createSignaling(video, authenticator)))),
      await createS3Service({ objects, authenticator, config, log }),
      createLambdaService({ functions, authenticator, log, bodyIdleTimeoutMs: config.bodyTimeoutMs }),
      metrics.cloudwatch,
    ];
    const served = () => [...jsonSigningNames, ...restServices.flatMap((s) => s.signingNames)];
    // Over an embedded store this process is the only node: it takes every lease at once.
    leases = new Leases(store.meta, { exclusive: store.kind !== 'nats', log });
    opened.push(() => leases.stop());
    const pages = new Map<string, Page>([
      ['/', indexPage({ store, services: served }, () => endpoint)],
      ['/health', healthPage({ store, services: served, leases })],
      ['/metrics', metrics.page],
    ]);
    startBackgroundWork(kinesis, log, leases);
    startLifecycleSweep(firehose, log, leases);
    startVideoLifecycleSweep(video, log, leases);
    analyticsBackground = startAnalyticsLifecycle(analytics, log, leases);
    analytics.wake = analyticsBackground.wake;
    leases.start();
    delivery = startDelivery({ store, objects, functions, leases, log, kinesis, glue: storeGlueCatalog(store), config });
    opened.push(() => delivery.stop());
    // Declared streams are ACTIVE before the port opens: a client that can connect finds them.
    await declareStreams(jsonServices[0], config.streams ?? [], { account: config.account, region: config.region }, log);
    const tls =
      config.tlsCert && config.tlsKey
        ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
        : config.tls
          ? await (await import('./transport/self-signed.js')).selfSignedCertificateFiles(certificateDir(config))
          : undefined;
    if (tls && 'certFile' in tls) certificateFile = tls.certFile;
    listener = await listen(
      {
        host: config.host,
        port: config.port,
        headersTimeoutMs: config.headersTimeoutMs,
        connections: metrics.counters.connections,
        upgrade: signaling.upgrade,
        tls,
      },
      createRouter({
        json: createPipeline(jsonServices, log, { bodyIdleTimeoutMs: config.bodyTimeoutMs, observer: metrics.counters.requests }),
        targets: [metrics.cloudwatch],
        metrics: metrics.handler,
        jsonSigningNames,
        rest: restServices,
        builtin: (webConsole = createConsole(
          { config, kinesis, firehose, delivery, objects, analytics, video, log, endpoint: () => endpoint, services: served },
          createBuiltinPages(pages, (err) => log.error({ err }, 'built-in page failed')),
        )).handler,
      }),
    );
  } catch (err) {
    for (const close of opened.reverse()) await close().catch((closeErr) => log.warn({ err: closeErr }, 'closing after a failed start'));
    throw err;
  }
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  endpoint = `http://${host}:${listener.port}`;
  const tlsServed = Boolean(config.tls || config.tlsCert);
  return {
    endpoint,
    secureEndpoint: tlsServed ? `https://${host}:${listener.port}` : undefined,
    certificateFile,
    port: listener.port,
    kinesis,
    firehose,
    analytics,
    store,
    leases,
    functions,
    objects,
    delivery,
    imagesDecoder: videoMedia?.imagesDecoder,
    async close() {
      // Drain (listener.ts): no new connections or streams, requests in flight answered,
      // subscriptions completed as event streams that end normally; then the leases, then the store.
      const { cut } = await listener.close({
        drained: () => {
          void endSubscriptions(kinesis);
          webConsole.close();
          signaling.close();
        },
      });
      if (cut > 0) log.warn({ connections: cut, drainMs: SHUTDOWN_DRAIN_MS }, 'shutdown cut connections still busy after the drain limit');
      await delivery.stop(); // what is buffered stays in the ingest logs
      await metrics.stop(); // the last counts, into the store before it closes
      await analyticsBackground.stop(); // running jobs stop where their last checkpoint is
      await videoMedia?.close?.(); // GetImages' decoder threads
      await leases.stop(); // hands every lease over while the store is still open
      await functions.close();
      await objects.close();
      await store.close();
      await dataDirLock?.release();
    },
  };
}

/** Where `--tls` keeps its certificate: --tls-dir, else beside the data, else (memory, NATS) a temp directory. */
function certificateDir(config: Config): string {
  if (config.tlsDir) return config.tlsDir;
  if (config.dataDir && !config.store && !config.memory) return join(config.dataDir, 'tls');
  return join(tmpdir(), `millrace-tls-${process.getuid?.() ?? 'user'}`);
}
