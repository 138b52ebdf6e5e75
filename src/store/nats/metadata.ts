import type { KV } from '@nats-io/kv';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { serviceUnavailable } from '../../protocol/errors.js';
import { Decoder, Encoder } from 'cbor-x';
import { keyFits, KeyTooLongError, type MetadataStore, type Versioned } from '../store.js';
import { decodeKey, encodeKey, keyFilter } from './names.js';
import { apiCode, OPERATION_DEADLINE_MS, pause, REQUEST_TIMEOUT_MS, RETRY_PAUSE_MS, toAwsError, withRetry } from './failures.js';

/** JetStream's answer when a compare-and-set finds another revision. */
const WRONG_LAST_SEQUENCE = [10071, 10164];

// CBOR keeps what documents may hold (Dates, Buffers, undefined members) as the embedded stores do.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/**
 * Metadata in one JetStream KV bucket (history 1, replicated like the logs). A revision is the
 * KV sequence of the entry's last write.
 *
 * Compare-and-set: a write states the *bucket's* last sequence (Nats-Expected-Last-Sequence), after
 * checking that the key is still at the expected revision; the bucket's stream leader refuses it if
 * anything was written since. KV's own conditional update (the per-key expected sequence) is not
 * enough on the nats-server Debian ships (2.9.10): before 2.10 the leader checked it before
 * consensus only, so two concurrent updates of one key could both succeed (nats-server#4320) —
 * two nodes would both split a shard. The bucket-wide sequence is checked against the writes in
 * flight. The price: writes to different keys at the same moment retry each other.
 */
export class NatsMetadata implements MetadataStore {
  private readonly streamName: string;
  private readonly subjectPrefix: string;

  constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    bucket: string,
  ) {
    this.streamName = `KV_${bucket}`;
    this.subjectPrefix = `$KV.${bucket}.`;
  }

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    if (!keyFits(key)) return undefined;
    const entry = await withRetry(() => this.kv.get(encodeKey(key)));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { key, value: decoder.decode(entry.value) as T, revision: entry.revision };
  }

  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    if (!keyFits(prefix)) return [];
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
    if (!keyFits(key)) throw new KeyTooLongError(key);
    return this.compareAndSet(key, expectedRevision, encoder.encode(value));
  }

  async delete(key: string, expectedRevision: number): Promise<boolean> {
    if (!keyFits(key)) return false;
    return (await this.compareAndSet(key, expectedRevision, undefined)) !== undefined;
  }

  /** Writes `data` (a tombstone when undefined) if `key` is at `expectedRevision` (0: absent). */
  private async compareAndSet(key: string, expectedRevision: number, data: Uint8Array | undefined): Promise<number | undefined> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    const headers = data ? undefined : natsHeaders();
    headers?.set(KV_OPERATION_HEADER, 'DEL');
    for (;;) {
      // The bucket's end first, then the key: a write to the key after this end fails the publish.
      const end = (await withRetry(() => this.jsm.streams.info(this.streamName), deadline)).state.last_seq;
      if ((await this.currentRevision(key)) !== expectedRevision) return undefined;
      try {
        // Not retried blindly: a lost answer to a write that was stored would turn into a conflict.
        const ack = await this.js.publish(this.subjectPrefix + encodeKey(key), data ?? new Uint8Array(0), {
          expect: { lastSequence: end },
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        });
        return ack.seq;
      } catch (err) {
        if (!WRONG_LAST_SEQUENCE.includes(apiCode(err) ?? 0)) throw toAwsError(err);
        // Something in the bucket changed meanwhile: look again (the key itself, or another one).
        if (Date.now() + RETRY_PAUSE_MS >= deadline) throw serviceUnavailable('The NATS JetStream metadata bucket stayed contended');
        await pause(Math.random() * RETRY_PAUSE_MS);
      }
    }
  }

  /** The key's revision, 0 when it is absent or deleted. */
  private async currentRevision(key: string): Promise<number> {
    return (await this.get(key))?.revision ?? 0;
  }
}

/** The header that marks a KV tombstone (as nats.js writes it for kv.delete). */
const KV_OPERATION_HEADER = 'KV-Operation';
