import type { MetadataStore } from '../../store/store.js';

/**
 * Checkpoints and snapshot states as JSON text in the metadata store, split into chunks so that a
 * large operator state fits every store (NATS KV values are limited; the code store uses the same
 * bound). The chunks of one blob are written first and never changed; a blob becomes visible only
 * when the document that names it ({ prefix, chunks }) is written by compare-and-set, which makes
 * the whole write atomic.
 */

/** Characters of JSON per store entry: well under NATS KV's default value limit. */
export const STATE_CHUNK_CHARS = 256 * 1024;

/** Where a blob lives: its key prefix and how many chunks it has. */
export interface BlobRef {
  prefix: string;
  chunks: number;
}

const chunkKey = (prefix: string, i: number) => `${prefix}${String(i).padStart(6, '0')}`;

export async function writeBlob(meta: MetadataStore, prefix: string, value: unknown): Promise<BlobRef> {
  const text = JSON.stringify(value);
  const chunks = Math.max(1, Math.ceil(text.length / STATE_CHUNK_CHARS));
  await Promise.all(
    Array.from({ length: chunks }, async (_v, i) => {
      const key = chunkKey(prefix, i);
      const part = text.slice(i * STATE_CHUNK_CHARS, (i + 1) * STATE_CHUNK_CHARS);
      const current = await meta.get(key);
      await meta.put(key, part, current?.revision ?? 0);
    }),
  );
  return { prefix, chunks };
}

export async function readBlob<T>(meta: MetadataStore, ref: BlobRef): Promise<T> {
  const parts = await Promise.all(Array.from({ length: ref.chunks }, (_v, i) => meta.get<string>(chunkKey(ref.prefix, i))));
  if (parts.some((p) => p === undefined)) throw new Error(`the saved state under ${ref.prefix} is incomplete`);
  return JSON.parse(parts.map((p) => p!.value).join('')) as T;
}

export async function copyBlob(meta: MetadataStore, from: BlobRef, prefix: string): Promise<BlobRef> {
  return writeBlob(meta, prefix, await readBlob(meta, from));
}

export async function dropBlob(meta: MetadataStore, ref: BlobRef): Promise<void> {
  for (const entry of await meta.list(ref.prefix)) await meta.delete(entry.key, entry.revision).catch(() => false);
}
