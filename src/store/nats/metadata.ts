import type { KV } from '@nats-io/kv';
import { Decoder, Encoder } from 'cbor-x';
import type { MetadataStore, Versioned } from '../store.js';
import { decodeKey, encodeKey, keyFilter } from './names.js';
import { apiCode, REQUEST_TIMEOUT_MS, toAwsError, withRetry } from './failures.js';

/** JetStream's answer when a compare-and-set finds another revision. */
const WRONG_LAST_SEQUENCE = [10071, 10164];

// CBOR keeps what documents may hold (Dates, Buffers, undefined members) as the embedded stores do.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/**
 * Metadata in one JetStream KV bucket (history 1, replicated like the logs). A revision is the
 * KV sequence of the entry's last write; compare-and-set is JetStream's expected-last-subject-
 * sequence check, decided by the bucket's stream leader, so two nodes racing on CreateStream or
 * SplitShard cannot both win.
 */
export class NatsMetadata implements MetadataStore {
  constructor(private readonly kv: KV) {}

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    const entry = await withRetry(() => this.kv.get(encodeKey(key)));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { key, value: decoder.decode(entry.value) as T, revision: entry.revision };
  }

  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    const keys = await withRetry(async () => {
      const found: string[] = [];
      const iterator = await this.kv.keys(keyFilter(prefix));
      for await (const encoded of iterator) {
        const key = decodeKey(encoded);
        if (key.startsWith(prefix)) found.push(key);
      }
      return found;
    });
    keys.sort();
    const entries = await Promise.all(keys.map((key) => this.get<T>(key)));
    return entries.filter((entry): entry is Versioned<T> => entry !== undefined);
  }

  async put<T>(key: string, value: T, expectedRevision: number): Promise<number | undefined> {
    const encoded = encodeKey(key);
    const data = encoder.encode(value);
    try {
      // Not retried blindly: a lost answer to a write that was stored would turn into a conflict.
      if (expectedRevision === 0) return await this.kv.create(encoded, data);
      return await this.kv.update(encoded, data, expectedRevision, REQUEST_TIMEOUT_MS);
    } catch (err) {
      if (WRONG_LAST_SEQUENCE.includes(apiCode(err) ?? 0)) return undefined;
      throw toAwsError(err);
    }
  }

  async delete(key: string, expectedRevision: number): Promise<boolean> {
    try {
      await this.kv.delete(encodeKey(key), { previousSeq: expectedRevision });
      return true;
    } catch (err) {
      if (WRONG_LAST_SEQUENCE.includes(apiCode(err) ?? 0)) return false;
      throw toAwsError(err);
    }
  }
}
