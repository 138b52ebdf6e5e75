import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';

/**
 * Opaque, tamper-proof tokens (shard iterators, NextTokens): base64 of AWS's 8-byte prefix
 * `00…01` followed by AES-256-GCM over a JSON payload (KINESIS-SPEC §4.5, §3.6). The key lives in
 * the store, so every node and every restart can open every token.
 */
const PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ENTRY = 'secret/token-key';

const keys = new WeakMap<Store, Promise<Buffer>>();

/** The store's token key, created once with compare-and-set so racing nodes agree on one. */
export function tokenKey(store: Store): Promise<Buffer> {
  let key = keys.get(store);
  if (!key) {
    key = (async () => {
      for (;;) {
        const existing = await store.meta.get<string>(KEY_ENTRY);
        if (existing) return Buffer.from(existing.value, 'base64');
        await store.meta.put(KEY_ENTRY, randomBytes(32).toString('base64'), 0);
      }
    })();
    keys.set(store, key);
    key.catch(() => keys.delete(store));
  }
  return key;
}

export function sealToken(key: Buffer, payload: unknown): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.concat([PREFIX, iv, body, cipher.getAuthTag()]).toString('base64');
}

/** The payload, or undefined for anything forged, truncated or not ours. */
export function openToken<T>(key: Buffer, token: string): T | undefined {
  const bytes = Buffer.from(token, 'base64');
  if (bytes.length < PREFIX.length + IV_BYTES + TAG_BYTES + 2 || !bytes.subarray(0, PREFIX.length).equals(PREFIX)) return undefined;
  try {
    const iv = bytes.subarray(PREFIX.length, PREFIX.length + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = Buffer.concat([decipher.update(bytes.subarray(PREFIX.length + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
