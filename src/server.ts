import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DEFAULT_CONFIG, type Config } from './config.js';
import { createLogger } from './log.js';
import { createPipeline } from './protocol/pipeline.js';
import { createRouter, type HttpService } from './protocol/router.js';
import { createAuthenticator } from './protocol/authenticator.js';
import { createBuiltinPages, type Page } from './builtin/pages.js';
import { healthPage, indexPage } from './builtin/health.js';
import { listen, type Listener } from './transport/listener.js';
import { openLmdbStore } from './store/lmdb-store.js';
import { openMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { createKinesisService, type Kinesis } from './kinesis/service.js';
import { Streams } from './kinesis/domain/streams.js';
import { startBackgroundWork } from './kinesis/background.js';
import { openObjectStore } from './objects/open.js';
import type { ObjectStore } from './objects/object-store.js';
import { createS3Service } from './s3/service.js';

export interface Millrace {
  /** `http://host:port` */
  readonly endpoint: string;
  readonly port: number;
  readonly kinesis: Kinesis;
  readonly store: Store;
  /** Where objects are kept: the S3 API's buckets, and the family's deliveries. */
  readonly objects: ObjectStore;
  close(): Promise<void>;
}

/** Opens the store and serves the family on one port until closed. */
export async function startMillrace(overrides: Partial<Config> = {}, logger?: Logger): Promise<Millrace> {
  const config: Config = { ...DEFAULT_CONFIG, ...overrides };
  if (config.memory) delete config.dataDir;
  const log = logger ?? createLogger(config.logLevel);
  // The NATS client and the certificate generator are loaded only by the modes that use them: they
  // were most of the time a default start spent loading modules.
  const store: Store = config.store
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
  const authenticator = createAuthenticator(config);
  const streams = new Streams(store, config);
  const kinesis: Kinesis = { config, store, streams };
  const jsonServices = [await createKinesisService(kinesis, authenticator)];
  /** Signing names of the JSON services, as the AWS CLI and SDKs scope their requests. */
  const jsonSigningNames = ['kinesis'];
  const objects = await openObjectStore({ config, store, log });
  const restServices: HttpService[] = [await createS3Service({ objects, authenticator, config, log })];
  const served = () => [...jsonSigningNames, ...restServices.flatMap((s) => s.signingNames)];
  let endpoint = '';
  const pages = new Map<string, Page>([
    ['/', indexPage({ store, services: served }, () => endpoint)],
    ['/health', healthPage({ store, services: served })],
  ]);
  const background = startBackgroundWork(kinesis, log);
  let listener: Listener;
  try {
    const tls =
      config.tlsCert && config.tlsKey
        ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
        : config.tls
          ? await (await import('./transport/self-signed.js')).selfSignedCertificate()
          : undefined;
    listener = await listen(
      {
        host: config.host,
        port: config.port,
        headersTimeoutMs: config.headersTimeoutMs,
        tls,
      },
      createRouter({
        json: createPipeline(jsonServices, log, { bodyIdleTimeoutMs: config.bodyTimeoutMs }),
        jsonSigningNames,
        rest: restServices,
        builtin: createBuiltinPages(pages, (err) => log.error({ err }, 'built-in page failed')),
      }),
    );
  } catch (err) {
    background.stop();
    await objects.close();
    await store.close();
    throw err;
  }
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  endpoint = `http://${host}:${listener.port}`;
  return {
    endpoint,
    port: listener.port,
    kinesis,
    store,
    objects,
    async close() {
      await listener.close();
      await background.stop();
      await objects.close();
      await store.close();
    },
  };
}
