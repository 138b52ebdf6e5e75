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
import { listen, type Listener } from './transport/listener.js';
import { openLmdbStore } from './store/lmdb-store.js';
import { openMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { createKinesisService, type Kinesis } from './kinesis/service.js';
import { Streams } from './kinesis/domain/streams.js';
import { startBackgroundWork } from './kinesis/background.js';
import { declareStreams } from './kinesis/declared-streams.js';

export interface Millrace {
  /** `http://host:port` */
  readonly endpoint: string;
  /** `https://host:port` when TLS is served too (on the same port). */
  readonly secureEndpoint?: string;
  /** The certificate `--tls` generated, for clients to trust; undefined with --tls-cert or without TLS. */
  readonly certificateFile?: string;
  readonly port: number;
  readonly kinesis: Kinesis;
  readonly store: Store;
  close(): Promise<void>;
}

/** Opens the store and serves the family on one port until closed. */
export async function startMillrace(overrides: Partial<Config> = {}, logger?: Logger): Promise<Millrace> {
  const config: Config = { ...DEFAULT_CONFIG, ...overrides };
  if (config.memory) delete config.dataDir;
  const log = logger ?? createLogger(config.logLevel, config.logFormat);
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
  const restServices: HttpService[] = [];
  const served = () => [...jsonSigningNames, ...restServices.flatMap((s) => s.signingNames)];
  let endpoint = '';
  const pages = new Map<string, Page>([
    ['/', indexPage({ store, services: served }, () => endpoint)],
    ['/health', healthPage({ store, services: served })],
  ]);
  const background = startBackgroundWork(kinesis, log);
  let listener: Listener;
  let certificateFile: string | undefined;
  try {
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
    await store.close();
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
    store,
    async close() {
      await listener.close();
      await background.stop();
      await store.close();
    },
  };
}

/** Where `--tls` keeps its certificate: --tls-dir, else beside the data, else (memory, NATS) a temp directory. */
function certificateDir(config: Config): string {
  if (config.tlsDir) return config.tlsDir;
  if (config.dataDir && !config.store && !config.memory) return join(config.dataDir, 'tls');
  return join(tmpdir(), `millrace-tls-${process.getuid?.() ?? 'user'}`);
}
