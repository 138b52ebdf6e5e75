import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { NatsStore } from '../store/nats-store.js';
import type { ObjectStore } from './object-store.js';
import { join } from 'node:path';
import { MemoryObjectStore } from './memory-objects.js';
import { FsObjectStore } from './fs-objects.js';

export interface ObjectStoreOptions {
  config: Config;
  /** The record and metadata store the node runs on: its kind picks the object store's. */
  store: Store;
  log: Logger;
}

/**
 * The object store that goes with the node's store: an external S3 when `--s3-endpoint` is given,
 * the JetStream Object Store beside a NATS store (every node sees the same buckets), memory with
 * `--memory`, otherwise files under `<data dir>/s3/`.
 */
export async function openObjectStore(options: ObjectStoreOptions): Promise<ObjectStore> {
  const { config, store, log } = options;
  if (config.s3Endpoint) {
    log.info({ endpoint: config.s3Endpoint }, 'objects kept in an external S3');
    // The S3 SDK is loaded only in this mode: it is most of a default start's module loading.
    const { ExternalObjectStore } = await import('./external-objects.js');
    return new ExternalObjectStore({
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      virtualHosted: config.s3VirtualHosted,
      accessKeyId: config.s3AccessKeyId,
      secretAccessKey: config.s3SecretAccessKey,
    });
  }
  if (store.kind === 'nats') {
    const { NatsObjectStore } = await import('./nats-objects.js');
    return new NatsObjectStore((store as NatsStore).connection, store.meta, config.replicas);
  }
  if (store.kind === 'memory' || config.memory || !config.dataDir) return new MemoryObjectStore();
  const root = join(config.dataDir, 's3');
  log.debug({ root }, 'objects kept in files');
  return FsObjectStore.open(root);
}
