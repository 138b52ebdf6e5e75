/**
 * The one interface between Millrace and what it keeps (DESIGN.md "Storage"). Implementations
 * live side by side: `lmdb-store.ts` (embedded, default), `memory-store.ts` (`--memory`), and a
 * distributed one over NATS JetStream. Everything is asynchronous and nothing authoritative lives
 * only in one node's memory, so that several stateless nodes can share one store.
 */

/**
 * Longest metadata key any store takes, in UTF-8 bytes: below LMDB's limit (1978 bytes with the
 * default page size, lmdb-js README "Keys") and, escaped for NATS (nats/names.ts: at most 3 bytes
 * per byte), with the KV subject prefix below the NATS server's default max_control_line (4096
 * bytes) that carries a subject. The strings that make keys are bounded where they enter (region:
 * protocol/region.ts; names: the service model), so real keys stay far below this (the longest, a
 * consumer's policy key, is about 400 bytes). A longer key names nothing: reading finds nothing,
 * and writing is refused.
 */
export const MAX_KEY_BYTES = 1024;

/** Whether a store can hold `key` at all (MAX_KEY_BYTES). */
export const keyFits = (key: string): boolean => key.length <= MAX_KEY_BYTES / 3 || Buffer.byteLength(key) <= MAX_KEY_BYTES;

export class KeyTooLongError extends Error {
  constructor(key: string) {
    super(`metadata key of ${Buffer.byteLength(key)} bytes exceeds ${MAX_KEY_BYTES}: ${key.slice(0, 80)}…`);
  }
}

/** A metadata entry with the revision that compare-and-set operations are checked against. */
export interface Versioned<T> {
  key: string;
  value: T;
  revision: number;
}

/** Documents (stream descriptions, secrets, account settings) under string keys. */
export interface MetadataStore {
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /**
   * What `get` would resolve to, when this process holds the entry decoded at hand (a store's
   * cache of documents); undefined when it would have to be read. The data plane looks its stream
   * up on every request: a cached one costs no promise and no wait.
   */
  cached?<T>(key: string): Versioned<T> | undefined;
  /** Every entry whose key starts with `prefix`, in key order. */
  list<T>(prefix: string): Promise<Versioned<T>[]>;
  /**
   * Compare-and-set: writes only when the entry's current revision is `expectedRevision`
   * (0 = the key must not exist). Resolves to the new revision once durable, or undefined when
   * another writer got there first.
   */
  put<T>(key: string, value: T, expectedRevision: number): Promise<number | undefined>;
  /** Removes the entry if its revision is still `expectedRevision`; false on conflict. */
  delete(key: string, expectedRevision: number): Promise<boolean>;
}

/** A record as it goes into a shard log. */
export interface NewRecord {
  partitionKey: string;
  data: Buffer;
  /** Set when the stream was encrypted as the record arrived (EncryptionType KMS). */
  keyRef?: string;
}

/** A record as it is stored, with what the store assigned to it. */
export interface StoredRecord extends NewRecord {
  /** Position in the shard log: assigned by the store, strictly increasing, never reused. */
  index: number;
  /** Arrival time in epoch milliseconds, non-decreasing along the log. */
  arrival: number;
}

export interface ReadOptions {
  /** At most this many records. */
  limit: number;
  /** Stop once the records read reach this many bytes of data + partition key (at least one record). */
  maxBytes: number;
  /** Records that arrived before this time (epoch ms) are past retention and never returned. */
  notBefore: number;
}

export interface ReadResult {
  records: StoredRecord[];
  /** Index the next read continues from. */
  nextIndex: number;
  /** The index the next appended record will get (the tip of the log). */
  tipIndex: number;
  /** Arrival time of the newest record in the log, if any. */
  lastArrival?: number;
}

/** Thrown by `append` when the log was sealed (its shard closed by resharding). */
export class SealedLogError extends Error {
  constructor(readonly log: string) {
    super(`shard log ${log} is sealed`);
  }
}

/**
 * Per-shard append-only logs. A log is named by the caller (stream incarnation + shard index).
 */
export interface RecordLog {
  /**
   * Appends records to one log in order. Resolves once they are durable, with the stored records
   * (index and arrival assigned). Concurrent appends share commits. Rejects with SealedLogError when
   * the log is sealed, in which case nothing was stored. `writesEnd` is the time from which the log
   * takes no more records (its shard's children exist): an append whose arrival would be at or
   * after it is refused the same way, so a closed shard never holds a record from its children's
   * time, however long the caller took between routing and appending.
   */
  append(log: string, records: NewRecord[], writesEnd?: number): Promise<StoredRecord[]>;
  /**
   * `append` of a single record (PutRecord), where a store has a cheaper way for it; callers fall
   * back to `append` without it.
   */
  appendOne?(log: string, record: NewRecord, writesEnd?: number): Promise<StoredRecord>;
  /** Reads forward from `fromIndex` (inclusive). */
  read(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult>;
  /**
   * `read` for a consumer that reads a log through in large reads (Firehose delivery), where a store
   * has a cheaper way for it; callers fall back to `read` without it. Same records, same result.
   */
  readBulk?(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult>;
  /** The index of the first record that arrived at or after `time` (the tip if none has). */
  indexAtTime(log: string, time: number): Promise<number>;
  /** The index the next appended record will get. */
  tip(log: string): Promise<number>;
  /** Refuses all further appends; resolves with the tip at the moment of sealing. Idempotent. */
  seal(log: string): Promise<number>;
  /** Deletes records that arrived before `time` (retention). Cheap to call often. */
  trim(log: string, time: number): Promise<void>;
  /** Deletes a whole log (its stream was deleted). */
  drop(log: string): Promise<void>;
  /** Calls `listener` after records become durable in `log`; returns the unsubscribe function. */
  watch(log: string, listener: () => void): () => void;
  /**
   * The index after the last durable record, where the store knows it without I/O (the embedded
   * stores). A reader that stands there can wait for `watch` instead of reading nothing.
   */
  durableEnd?(log: string): number;
}

export interface Store {
  readonly kind: 'lmdb' | 'memory' | 'nats';
  readonly meta: MetadataStore;
  readonly records: RecordLog;
  close(): Promise<void>;
}
