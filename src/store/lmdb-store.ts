import { open, type Database, type RootDatabase } from 'lmdb';
import { LogStates, recordSize, type LogState } from './log-state.js';
import type { MetadataStore, NewRecord, ReadOptions, ReadResult, RecordLog, Store, StoredRecord, Versioned } from './store.js';

/**
 * The embedded durable store (DESIGN.md "Storage"): one LMDB environment holding metadata and
 * every shard log, so that a metadata change and records can share a transaction.
 *
 * Sync policy: lmdb-js batches all writes issued in one event turn into one transaction and
 * commits it on its writer thread. An append (and a metadata put) resolves only after its
 * transaction has been committed *and* flushed to disk (fdatasync), so an acknowledged record
 * survives kill -9 and power loss. Concurrent requests share one commit (group commit).
 */
export interface LmdbStoreOptions {
  path: string;
}

/** Log keys are `[log, index]`; this sorts after every index of a log. */
const END_OF_LOG = Number.MAX_SAFE_INTEGER;
/** Records deleted per trim call, so retention work stays a small slice of a commit. */
const TRIM_BATCH = 20_000;

export function openLmdbStore(options: LmdbStoreOptions): Store {
  const root = open({ path: options.path, maxDbs: 8, compression: false });
  const metaDb = root.openDB<{ v: unknown; r: number }, string>({ name: 'meta' });
  const recordsDb = root.openDB<Buffer, [string, number]>({ name: 'records', encoding: 'binary' });
  const sealedDb = root.openDB<boolean, string>({ name: 'sealed' });
  return {
    kind: 'lmdb',
    meta: new LmdbMetadata(root, metaDb),
    records: new LmdbRecordLog(root, recordsDb, sealedDb),
    async close() {
      await root.flushed;
      await root.close();
    },
  };
}

class LmdbMetadata implements MetadataStore {
  constructor(
    private readonly root: RootDatabase,
    private readonly db: Database<{ v: unknown; r: number }, string>,
  ) {}

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    const entry = this.db.get(key);
    return entry && { key, value: entry.v as T, revision: entry.r };
  }

  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    const out: Versioned<T>[] = [];
    for (const { key, value } of this.db.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push({ key, value: value.v as T, revision: value.r });
    }
    return out;
  }

  async put<T>(key: string, value: T, expectedRevision: number): Promise<number | undefined> {
    const revision = await this.db.transaction(() => {
      const current = this.db.get(key)?.r ?? 0;
      if (current !== expectedRevision) return undefined;
      this.db.put(key, { v: value, r: current + 1 });
      return current + 1;
    });
    await this.root.flushed;
    return revision;
  }

  async delete(key: string, expectedRevision: number): Promise<boolean> {
    const removed = await this.db.transaction(() => {
      if ((this.db.get(key)?.r ?? 0) !== expectedRevision) return false;
      return this.db.removeSync(key);
    });
    await this.root.flushed;
    return removed;
  }
}

class LmdbRecordLog implements RecordLog {
  private readonly states: LogStates;

  constructor(
    private readonly root: RootDatabase,
    private readonly db: Database<Buffer, [string, number]>,
    private readonly sealedDb: Database<boolean, string>,
  ) {
    this.states = new LogStates((log) => this.loadState(log));
  }

  /** Recovers a log's position from disk: the newest stored record tells tip and arrival. */
  private loadState(log: string): LogState {
    const sealed = this.sealedDb.get(log) === true;
    for (const { key, value } of this.db.getRange({ start: [log, END_OF_LOG], end: [log, -1], reverse: true, limit: 1 })) {
      return { tip: key[1] + 1, durable: key[1] + 1, lastArrival: decodeRecord(key[1], value).arrival, sealed };
    }
    return { tip: 0, durable: 0, lastArrival: 0, sealed };
  }

  async append(log: string, records: NewRecord[]): Promise<StoredRecord[]> {
    const stored = this.states.assign(log, records);
    let committed: Promise<boolean> | undefined;
    for (const record of stored) committed = this.db.put([log, record.index], encodeRecord(record));
    await committed;
    await this.root.flushed;
    this.states.markDurable(log, stored[stored.length - 1].index + 1);
    this.states.notify(log);
    return stored;
  }

  async read(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult> {
    const state = this.states.get(log);
    const end = state.durable;
    let from = fromIndex;
    // Arrival times never decrease along a log: if the first record is past retention, a binary
    // search finds the first live one, so expired records that trimming has not yet removed are
    // skipped without being read one by one.
    const first = this.firstFrom(log, from, end);
    if (first && first.arrival < options.notBefore) from = Math.max(from, this.indexAtTimeSync(log, options.notBefore, end));
    const records: StoredRecord[] = [];
    let bytes = 0;
    let nextIndex = from;
    let exhausted = true;
    for (const { key, value } of this.db.getRange({ start: [log, from], end: [log, end] })) {
      if (records.length >= options.limit) {
        exhausted = false;
        break;
      }
      const size = value.length - HEADER - value.readUInt8(10);
      if (records.length > 0 && bytes + size > options.maxBytes) {
        exhausted = false;
        break;
      }
      bytes += size;
      records.push(decodeRecord(key[1], value));
      nextIndex = key[1] + 1;
    }
    // Reading through to the durable end means every position below it was seen (gaps included).
    if (exhausted) nextIndex = Math.max(nextIndex, end);
    return { records, nextIndex, tipIndex: end, lastArrival: state.lastArrival || undefined };
  }

  async indexAtTime(log: string, time: number): Promise<number> {
    return this.indexAtTimeSync(log, time, this.states.get(log).durable);
  }

  /**
   * Arrival times are non-decreasing along the log, and stored positions may have gaps (trimmed):
   * binary search for the first position whose next stored record is new enough; `end` if none is.
   */
  private indexAtTimeSync(log: string, time: number, end: number): number {
    let lo = this.firstFrom(log, 0, end)?.index ?? end;
    let hi = end;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const found = this.firstFrom(log, mid, end);
      if (!found || found.arrival >= time) hi = mid;
      else lo = found.index + 1;
    }
    return this.firstFrom(log, lo, end)?.index ?? end;
  }

  private firstFrom(log: string, index: number, end: number): StoredRecord | undefined {
    for (const { key, value } of this.db.getRange({ start: [log, index], end: [log, end], limit: 1 })) {
      return decodeRecord(key[1], value);
    }
    return undefined;
  }

  async tip(log: string): Promise<number> {
    return this.states.get(log).tip;
  }

  async seal(log: string): Promise<number> {
    const tip = this.states.seal(log);
    await this.sealedDb.put(log, true);
    await this.root.flushed;
    return tip;
  }

  async trim(log: string, time: number): Promise<void> {
    // The newest durable record always stays: it is how a restart recovers the log's tip, so that
    // sequence numbers are never reused even after everything aged out (reads hide it by time).
    const keepFrom = this.states.get(log).durable - 1;
    let last: Promise<boolean> | undefined;
    for (const { key, value } of this.db.getRange({ start: [log, 0], end: [log, keepFrom], limit: TRIM_BATCH })) {
      if (decodeArrival(value) >= time) break;
      last = this.db.remove(key);
    }
    if (last) await last;
  }

  async drop(log: string): Promise<void> {
    const keys = [...this.db.getKeys({ start: [log, 0], end: [log, END_OF_LOG] })];
    await this.db.transaction(() => {
      for (const key of keys) this.db.removeSync(key);
      this.sealedDb.removeSync(log);
    });
    this.states.forget(log);
    await this.root.flushed;
  }

  watch(log: string, listener: () => void): () => void {
    return this.states.watch(log, listener);
  }
}

// Record value layout: arrival ms (f64) | partition key length (u16) | key ref length (u8) |
// partition key (UTF-8) | key ref (UTF-8) | data.
const HEADER = 11;

function encodeRecord(record: StoredRecord): Buffer {
  const pkLength = Buffer.byteLength(record.partitionKey);
  const refLength = record.keyRef ? Buffer.byteLength(record.keyRef) : 0;
  const out = Buffer.allocUnsafe(HEADER + pkLength + refLength + record.data.length);
  out.writeDoubleBE(record.arrival, 0);
  out.writeUInt16BE(pkLength, 8);
  out.writeUInt8(refLength, 10);
  out.write(record.partitionKey, HEADER, 'utf8');
  if (record.keyRef) out.write(record.keyRef, HEADER + pkLength, 'utf8');
  record.data.copy(out, HEADER + pkLength + refLength);
  return out;
}

function decodeArrival(value: Buffer): number {
  return value.readDoubleBE(0);
}

function decodeRecord(index: number, value: Buffer): StoredRecord {
  const pkLength = value.readUInt16BE(8);
  const refLength = value.readUInt8(10);
  const record: StoredRecord = {
    index,
    arrival: value.readDoubleBE(0),
    partitionKey: value.toString('utf8', HEADER, HEADER + pkLength),
    // Copy: LMDB hands out views into memory that is reused by the next read.
    data: Buffer.from(value.subarray(HEADER + pkLength + refLength)),
  };
  if (refLength) record.keyRef = value.toString('utf8', HEADER + pkLength, HEADER + pkLength + refLength);
  return record;
}
