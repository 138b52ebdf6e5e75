import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';

/**
 * The data keys of encrypted streams (KINESIS-SPEC §3.16, encryption.ts), one per stream
 * incarnation and KMS key, under `kms/{keyRef}` where keyRef is `{streamId}/…`. Apart from
 * encryption.ts so that purging a stream (streams.ts) can drop them without importing it.
 */

const dataKeys = new WeakMap<Store, Map<string, Promise<Buffer | undefined>>>();

/** The data key under `kms/{keyRef}`; created (compare-and-set, so racing nodes agree) when `create`. */
export function dataKey(store: Store, keyRef: string, create: boolean): Promise<Buffer | undefined> {
  let cache = dataKeys.get(store);
  if (!cache) dataKeys.set(store, (cache = new Map()));
  const cached = cache.get(keyRef);
  if (cached) return cached;
  const loading = (async () => {
    for (;;) {
      const existing = await store.meta.get<{ key: string }>(`kms/${keyRef}`);
      if (existing) return Buffer.from(existing.value.key, 'base64');
      if (!create) return undefined;
      await store.meta.put(`kms/${keyRef}`, { key: randomBytes(32).toString('base64'), createdAt: Date.now() }, 0);
    }
  })();
  cache.set(keyRef, loading);
  // Only found keys stay cached: a missing or failed lookup is retried next time.
  loading.then((key) => key ?? cache.delete(keyRef), () => cache.delete(keyRef));
  return loading;
}

/** Removes the data keys of a deleted stream incarnation. */
export async function dropDataKeys(store: Store, streamId: string): Promise<void> {
  for (const entry of await store.meta.list(`kms/${streamId}/`)) await store.meta.delete(entry.key, entry.revision);
  dataKeys.get(store)?.forEach((_, ref, cache) => ref.startsWith(`${streamId}/`) && cache.delete(ref));
}

