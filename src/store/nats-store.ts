import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Store } from './store.js';
import { NatsMetadata } from './nats/metadata.js';
import { NatsRecordLog } from './nats/record-log.js';
import { METADATA_BUCKET } from './nats/names.js';
import { REQUEST_TIMEOUT_MS, withRetry } from './nats/failures.js';

/**
 * The distributed store (DESIGN.md "Storage", issue 7): any number of stateless Millrace nodes
 * over one NATS JetStream cluster. Metadata lives in a KV bucket with compare-and-set, each shard
 * log in its own JetStream stream (see nats/record-log.ts for the mapping and why). Nothing
 * authoritative is kept in a node's memory; what a node caches is corrected by the cluster's
 * answers (a stale log end makes a publish fail its expected-sequence check).
 */
export interface NatsStoreOptions {
  /** `nats://host:port[,host:port...]` (or `tls://...`). */
  url: string;
  /** JetStream replicas of every log and of the metadata bucket (1 for a single server). */
  replicas: number;
  user?: string;
  pass?: string;
  /** A NATS `.creds` file (JWT + nkey seed). */
  creds?: string;
  /** PEM file of the CA that signed the servers' certificates (turns on TLS). */
  tlsCa?: string;
}

/** The server list of a `--store` value: every entry gets the scheme of the first. */
export function natsServers(url: string): string[] {
  const match = /^(nats|tls):\/\/(.+)$/.exec(url.trim());
  if (!match) throw new Error(`--store takes nats://HOST:PORT[,HOST:PORT...], got ${url}`);
  return match[2].split(',').map((entry) => (entry.includes('://') ? entry.trim() : `${match[1]}://${entry.trim()}`));
}

/** How long opening the store waits for the cluster before the node refuses to start. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The NATS store, with its connection for what lives beside it in the cluster (objects/nats-objects.ts). */
export interface NatsStore extends Store {
  readonly kind: 'nats';
  readonly connection: NatsConnection;
}

export async function openNatsStore(options: NatsStoreOptions): Promise<NatsStore> {
  const connection: NodeConnectionOptions = {
    servers: natsServers(options.url),
    name: 'millrace',
    timeout: CONNECT_TIMEOUT_MS,
    // Reconnect forever: while the cluster is away every operation answers 503 within its deadline.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  };
  if (options.user !== undefined) Object.assign(connection, { user: options.user, pass: options.pass ?? '' });
  if (options.creds) connection.authenticator = credsAuthenticator(readFileSync(options.creds));
  if (options.tlsCa || options.url.startsWith('tls://')) connection.tls = options.tlsCa ? { caFile: options.tlsCa } : {};
  const nc: NatsConnection = await connect(connection).catch((err: Error) => {
    throw new Error(`cannot reach the NATS cluster at ${options.url}: ${err.message}`);
  });
  try {
    const js = jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
    const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
    const kv = await withRetry(() => openBucket(new Kvm(js), options.replicas), Date.now() + CONNECT_TIMEOUT_MS);
    return {
      kind: 'nats',
      connection: nc,
      meta: new NatsMetadata(kv, js, jsm, METADATA_BUCKET),
      records: new NatsRecordLog(nc, js, jsm, { replicas: options.replicas }),
      async close() {
        // Drain delivers what is in flight; against an unreachable cluster it would wait forever.
        const drained = nc.drain().catch(() => {});
        const timer = new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS).unref());
        await Promise.race([drained, timer]);
        if (!nc.isClosed()) await nc.close();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}

async function openBucket(kvm: Kvm, replicas: number): Promise<KV> {
  try {
    // Reads from the leader only (no direct get from a lagging replica): a document written
    // through one node is seen by the next request to any node.
    return await kvm.create(METADATA_BUCKET, { replicas, history: 1, storage: StorageType.File, allow_direct: false });
  } catch (err) {
    // Created earlier with other settings (e.g. another replica count): use it as it is.
    if (/already in use|exists/i.test((err as Error).message)) return kvm.open(METADATA_BUCKET);
    throw err;
  }
}
