import { open, type Database } from 'lmdb';
import { LogStates, recordSize, type LogState } from './log-state.js';
import { encodeBatch, readRecords } from './record-encoding.js';
import { keyFits, KeyTooLongError, type MetadataStore, type NewRecord, type ReadOptions, type ReadResult, type RecordLog, type Store, type StoredRecord, type Versioned } from './store.js';

/**
 * The embedded durable store (DESIGN.md "Storage"): one LMDB environment holding metadata and
 * every shard log, so that a metadata change and records can share a transaction.
 *
 * Sync policy: lmdb-js batches all writes issued in one event turn into one transaction and
 * commits it on its writer thread with a flush (fdatasync) before the commit is reported. An append
 * (and a metadata put) resolves only after its transaction has been committed *and* flushed to
 * disk, so an acknowledged record survives kill -9 and power loss. Writes issued while a commit is
 * being flushed wait for it and then share the next one (group commit).
 */
export interface LmdbStoreOptions {
  path: string;
}

/** Log keys are `[log, index]`; this sorts after every index of a log. */
const END_OF_LOG = Number.MAX_SAFE_INTEGER;
/** Chunks deleted per trim call, so retention work stays a small slice of a commit. */
const TRIM_BATCH = 2_000;

export function openLmdbStore(options: LmdbStoreOptions): Store {
  // overlappingSync off: each commit is flushed before it is reported, and the write's promise
  // resolves after lmdb-js has renewed the read snapshot. With overlapping sync, a write's
  // `.flushed` could resolve before the write's own commit had been reported (measured: tens in
  // 200,000 concurrent puts, more under load); a reader then still read the older snapshot below
  // the new durable end and stepped over the record for good (test/embedded-store.test.ts). A
  // probe of raw lmdb-js puts with 32 writers and 4 readers also ran faster without it (277-300k
  // puts/s, against 187-249k); the bench rows stayed within their usual ranges.
  // remapChunks: the file is mapped in chunks on demand, not as one map whose touched pages (and
  // the neighbours the kernel maps around a fault) stay resident. After writing 5 GB, the mapped
  // files in the RSS were 370 MB with one map and 55 MB with chunks, most of that the node binary.
  // Throughput measured the same or better (bench, 1 MiB rows).
  // noSubdir is explicit: lmdb-js takes a path with an extension (`--data ./my.data`, mktemp's
  // `tmp.XXXX`) for a database file rather than a directory, and refuses the directory.
  const root = open({ path: options.path, noSubdir: false, maxDbs: 8, compression: false, overlappingSync: false, remapChunks: true });
  const metaDb = root.openDB<{ v: unknown; r: number }, string>({ name: 'meta' });
  const recordsDb = root.openDB<Buffer, [string, number]>({ name: 'records', encoding: 'binary' });
  const chunksDb = root.openDB<Buffer, [string, number]>({ name: 'chunks', encoding: 'binary' });
  const sealedDb = root.openDB<boolean, string>({ name: 'sealed' });
  const writes = new CommitFailures(root);
  return {
    kind: 'lmdb',
    meta: new LmdbMetadata(metaDb, writes),
    records: new LmdbRecordLog(recordsDb, chunksDb, sealedDb, writes),
    async close() {
      // A failed last commit was reported to the writes it carried; closing still closes.
      await root.flushed.then(noop, noop);
      await root.close();
    },
  };
}

const noop = () => {};

/**
 * What a failed commit (disk full, I/O error) leaves behind in lmdb-js, made harmless: its writes
 * reject with an Error whose `commitError` is a second, rejected promise holding the cause, and the
 * event-turn batch that carried them holds a promise of its own that nobody else observes. Left
 * alone, either is an unhandled rejection, which ends the process; the writes' own rejections go
 * to their callers (a request answers 500 InternalFailure and acknowledges nothing), reads go on,
 * and the next commit is tried afresh once space returns.
 */
class CommitFailures {
  private watching = false;

  constructor(private readonly root: { committed: PromiseLike<unknown> }) {}

  /** The write's outcome, with lmdb-js's side promises observed; a failure carries its cause. */
  durable<T>(write: Promise<T>): Promise<T> {
    this.watchTurn();
    return write.catch(rethrowCommitFailure);
  }

  /** A write whose outcome is reported through another write of the same transaction. */
  quiet(write: Promise<unknown>): void {
    this.watchTurn();
    write.catch(commitFailure);
  }

  /**
   * lmdb-js starts an event-turn batch in a setImmediate queued by the turn's first write; one
   * queued after it finds that batch's commit promise in `committed`, and observes it.
   */
  private watchTurn(): void {
    if (this.watching) return;
    this.watching = true;
    setImmediate(() => {
      this.watching = false;
      (this.root.committed as Promise<unknown>).then(noop, noop);
    });
  }
}

/** One function for every write, not a closure per write. */
const rethrowCommitFailure = (err: unknown): never => {
  throw commitFailure(err);
};

/** lmdb-js's "Commit failed" error, its cause observed and kept as `cause` for the log. */
function commitFailure(err: unknown): unknown {
  const cause = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
  if (cause && typeof cause.then === 'function') cause.then(noop, (reason: unknown) => ((err as Error).cause = reason));
  return err;
}

/**
 * Metadata documents. Decoded documents are cached by key (every request reads its stream's
 * document, and decoding it showed up in profiles); this process is the store's only writer, so
 * the cache drops an entry when a write to it starts and takes the new value once committed.
 * Cached documents are frozen: nobody may change what another request is reading.
 */
class LmdbMetadata implements MetadataStore {
  private readonly cache = new Map<string, Versioned<unknown>>();

  constructor(
    private readonly db: Database<{ v: unknown; r: number }, string>,
    private readonly writes: CommitFailures,
  ) {}

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    if (!keyFits(key)) return undefined;
    const cached = this.cache.get(key);
    if (cached) return cached as Versioned<T>;
    const entry = this.db.get(key);
    if (!entry) return undefined;
    const versioned: Versioned<T> = { key, value: deepFreeze(entry.v as T), revision: entry.r };
    if (!this.writing.has(key)) this.remember(key, versioned);
    return versioned;
  }

  cached<T>(key: string): Versioned<T> | undefined {
    // A key is cached only once get found and decoded it, and dropped when a write to it starts.
    return this.cache.get(key) as Versioned<T> | undefined;
  }

  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    if (!keyFits(prefix)) return [];
    const out: Versioned<T>[] = [];
    for (const { key, value } of this.db.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push({ key, value: value.v as T, revision: value.r });
    }
    return out;
  }

  /** Keys with a write in flight: not cached until it is committed. */
  private readonly writing = new Map<string, number>();

  private async write<R>(key: string, commit: () => R): Promise<R> {
    this.cache.delete(key);
    this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    try {
      return await this.writes.durable(this.db.transaction(commit)); // committed and flushed
    } finally {
      const left = this.writing.get(key)! - 1;
      if (left) this.writing.set(key, left);
      else this.writing.delete(key);
    }
  }

  async put<T>(key: string, value: T, expectedRevision: number): Promise<number | undefined> {
    if (!keyFits(key)) throw new KeyTooLongError(key);
    return this.write(key, () => {
      const current = this.db.get(key)?.r ?? 0;
      if (current !== expectedRevision) return undefined;
      this.db.put(key, { v: value, r: current + 1 });
      return current + 1;
    });
  }

  async delete(key: string, expectedRevision: number): Promise<boolean> {
    if (!keyFits(key)) return false;
    return this.write(key, () => {
      if ((this.db.get(key)?.r ?? 0) !== expectedRevision) return false;
      return this.db.removeSync(key);
    });
  }

  private remember(key: string, entry: Versioned<unknown>): void {
    if (this.cache.size >= METADATA_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, entry);
  }
}

/** Decoded metadata documents kept (streams, consumers, leases): enough for every hot one. */
const METADATA_CACHE_ENTRIES = 10_000;

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  for (const member of Object.values(value)) deepFreeze(member);
  return Object.freeze(value);
}

/**
 * Shard logs as chunks: one LMDB value per appended batch, keyed `[log, index of its first
 * record]`. A PutRecords of 500 records costs one put, one key and one B-tree entry instead of
 * 500, and a read copies a chunk out of the map once instead of once per record. Every record of a
 * chunk shares the batch's arrival time (LogStates.assign gives a batch one time), so retention
 * removes whole chunks and time lookups search chunks.
 *
 * A directory (`chunks`, same keys) holds each chunk's 12-byte header: positions, time lookups and
 * retention read only it. Reading a header out of a megabyte-sized chunk would page the whole
 * value into memory (lmdb-js copies values out of the map), which kept hundreds of MB resident.
 */
class LmdbRecordLog implements RecordLog {
  private readonly states: LogStates;

  constructor(
    private readonly db: Database<Buffer, [string, number]>,
    private readonly chunks: Database<Buffer, [string, number]>,
    private readonly sealedDb: Database<boolean, string>,
    private readonly writes: CommitFailures,
  ) {
    this.states = new LogStates((log) => this.loadState(log));
  }

  /** Recovers a log's position from disk: the newest stored chunk tells tip and arrival. */
  private loadState(log: string): LogState {
    const sealed = this.sealedDb.get(log) === true;
    const last = this.chunkAtOrBefore(log, END_OF_LOG);
    if (last) {
      const end = last.first + chunkCount(last.value);
      return { tip: end, durable: end, lastArrival: chunkArrival(last.value), sealed };
    }
    return { tip: 0, durable: 0, lastArrival: 0, sealed };
  }

  async append(log: string, records: NewRecord[], writesEnd?: number): Promise<StoredRecord[]> {
    const stored = this.states.assign(log, records, writesEnd);
    const key: [string, number] = [log, stored[0].index];
    const chunk = encodeChunk(stored);
    // Issued in one turn, both puts share one transaction: the directory never names a missing
    // chunk, and a failed commit is reported once, through the chunk's own put.
    // A failed commit leaves a gap of never-acknowledged positions: reads step over gaps, and the
    // tip in memory stays past them, so no sequence number is handed out twice.
    this.writes.quiet(this.chunks.put(key, Buffer.from(chunk.subarray(0, CHUNK_HEADER))));
    await this.writes.durable(this.db.put(key, chunk)); // committed and flushed (overlappingSync off)
    this.states.markDurable(log, stored[stored.length - 1].index + 1);
    this.states.notify(log);
    return stored;
  }

  /** `append` of one record: a chunk of one, with the same two puts in one transaction. */
  async appendOne(log: string, record: NewRecord, writesEnd?: number): Promise<StoredRecord> {
    const stored = this.states.assignOne(log, record, writesEnd);
    const key: [string, number] = [log, stored.index];
    const chunk = encodeChunk([stored]);
    // The header as a view of the chunk: lmdb-js copies a value in at commit from the memory it
    // points to (and holds the buffer until then), and the chunk is never written to again.
    this.writes.quiet(this.chunks.put(key, chunk.subarray(0, CHUNK_HEADER)));
    // durable()'s handling, without its promise around the put: quiet() above watches this turn.
    try {
      await this.db.put(key, chunk);
    } catch (err) {
      throw commitFailure(err);
    }
    this.states.markDurable(log, stored.index + 1);
    this.states.notify(log);
    return stored;
  }

  async read(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult> {
    return this.scan(log, fromIndex, options, true);
  }

  /**
   * `read` without its second copy: records are views into the values lmdb-js copied out of the map
   * (a Buffer of its own per chunk, test/embedded-store.test.ts). For delivery's 8 MiB reads that copy
   * was a third of reading the log (bench/results.md, issue 14). GetRecords keeps the copy (see scan).
   */
  async readBulk(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult> {
    return this.scan(log, fromIndex, options, false);
  }

  private scan(log: string, fromIndex: number, options: ReadOptions, copy: boolean): ReadResult {
    const state = this.states.get(log);
    const end = state.durable;
    let from = fromIndex;
    // Arrival times never decrease along a log: if the first record is past retention, a binary
    // search finds the first live one, so expired chunks that trimming has not yet removed are
    // skipped without being read.
    const first = this.firstFrom(log, from, end);
    if (first && first.arrival < options.notBefore) from = Math.max(from, this.indexAtTimeSync(log, options.notBefore, end));
    const records: StoredRecord[] = [];
    let bytes = 0;
    let nextIndex = from;
    let exhausted = true;
    // The chunk holding `from` may start before it.
    const holding = this.chunkAtOrBefore(log, from);
    const scanFrom = holding && holding.first + chunkCount(holding.value) > from ? holding.first : from;
    scan: for (const { key, value } of this.db.getRange({ start: [log, scanFrom], end: [log, end] })) {
      // lmdb-js 3.5 already hands each value of a binary range out as a Buffer of its own (test/
      // embedded-store.test.ts checks that records read earlier keep their bytes), yet records decoded
      // straight from it made GetRecords cost 1.75× the CPU per record (bench/ab.js getrecords: 2.6
      // against 1.5 µs, also when re-wrapped without a copy), so for GetRecords (`copy`) the chunk is copied once more.
      for (const record of decodeChunk(key[1], copy ? Buffer.from(value) : value)) {
        if (record.index < from) continue;
        if (records.length >= options.limit) {
          exhausted = false;
          break scan;
        }
        const size = recordSize(record);
        if (records.length > 0 && bytes + size > options.maxBytes) {
          exhausted = false;
          break scan;
        }
        bytes += size;
        records.push(record);
        nextIndex = record.index + 1;
      }
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

  /** The position and arrival of the first stored record at or after `index`, below `end`. */
  private firstFrom(log: string, index: number, end: number): { index: number; arrival: number } | undefined {
    if (index >= end) return undefined;
    const holding = this.chunkAtOrBefore(log, index);
    if (holding && holding.first + chunkCount(holding.value) > index) return { index, arrival: chunkArrival(holding.value) };
    for (const { key, value } of this.chunks.getRange({ start: [log, index], end: [log, end], limit: 1 })) {
      return { index: key[1], arrival: chunkArrival(value) };
    }
    return undefined;
  }

  /** The chunk with the greatest first index ≤ `index`, with its header. */
  private chunkAtOrBefore(log: string, index: number): { first: number; value: Buffer } | undefined {
    for (const { key, value } of this.chunks.getRange({ start: [log, index], end: [log, -1], reverse: true, limit: 1 })) {
      return { first: key[1], value };
    }
    return undefined;
  }

  async tip(log: string): Promise<number> {
    return this.states.get(log).tip;
  }

  async seal(log: string): Promise<number> {
    const tip = this.states.seal(log);
    await this.writes.durable(this.sealedDb.put(log, true));
    return tip;
  }

  async trim(log: string, time: number): Promise<void> {
    // The newest durable chunk always stays: it is how a restart recovers the log's tip, so that
    // sequence numbers are never reused even after everything aged out (reads hide it by time).
    const newest = this.chunkAtOrBefore(log, this.states.get(log).durable - 1);
    if (!newest) return;
    let last: Promise<boolean> | undefined;
    for (const { key, value } of this.chunks.getRange({ start: [log, 0], end: [log, newest.first], limit: TRIM_BATCH })) {
      if (chunkArrival(value) >= time) break;
      this.writes.quiet(this.chunks.remove(key)); // same transaction as the chunk's removal below
      last = this.db.remove(key);
    }
    if (last) await this.writes.durable(last);
  }

  async drop(log: string): Promise<void> {
    const keys = [...this.chunks.getKeys({ start: [log, 0], end: [log, END_OF_LOG] })];
    await this.writes.durable(this.db.transaction(() => {
      for (const key of keys) {
        this.db.removeSync(key);
        this.chunks.removeSync(key);
      }
      this.sealedDb.removeSync(log);
    }));
    this.states.forget(log);
  }

  watch(log: string, listener: () => void): () => void {
    return this.states.watch(log, listener);
  }

  durableEnd(log: string): number {
    return this.states.get(log).durable;
  }
}

// Chunk layout: arrival ms (f64) | record count (u32) | the records (record-encoding.ts).
const CHUNK_HEADER = 12;

const chunkArrival = (chunk: Buffer) => chunk.readDoubleBE(0);
const chunkCount = (chunk: Buffer) => chunk.readUInt32BE(8);

/** Records of one batch: consecutive indexes, one arrival time. */
function encodeChunk(records: StoredRecord[]): Buffer {
  const out = encodeBatch(CHUNK_HEADER, records);
  out.writeDoubleBE(records[0].arrival, 0);
  out.writeUInt32BE(records.length, 8);
  return out;
}

/** The records of a chunk whose first record has index `first`; data are views into `chunk`. */
const decodeChunk = (first: number, chunk: Buffer) => readRecords(chunk, CHUNK_HEADER, chunkCount(chunk), first, chunkArrival(chunk), false);
