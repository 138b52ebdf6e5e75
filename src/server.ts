import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DEFAULT_CONFIG, type Config } from './config.js';
import { createLogger } from './log.js';
import { createPipeline } from './protocol/pipeline.js';
import { listen, type Listener } from './transport/listener.js';
import { openLmdbStore } from './store/lmdb-store.js';
import { openMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { createKinesisService, type Kinesis } from './kinesis/service.js';
import { Streams } from './kinesis/domain/streams.js';
import { startBackgroundWork } from './kinesis/background.js';

export interface Millrace {
  /** `http://host:port` */
  readonly endpoint: string;
  readonly port: number;
  readonly kinesis: Kinesis;
  close(): Promise<void>;
}

/** Opens the store and serves Kinesis on one port until closed. */
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
  const streams = new Streams(store, config);
  const kinesis: Kinesis = { config, store, streams };
  const service = await createKinesisService(kinesis);
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
      createPipeline(service, log, { bodyIdleTimeoutMs: config.bodyTimeoutMs }),
    );
  } catch (err) {
    background.stop();
    await store.close();
    throw err;
  }
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return {
    endpoint: `http://${host}:${listener.port}`,
    port: listener.port,
    kinesis,
    async close() {
      await listener.close();
      await background.stop();
      await store.close();
    },
  };
}
