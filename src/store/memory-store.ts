import { LogStates, recordSize } from './log-state.js';
import { keyFits, KeyTooLongError, type MetadataStore, type NewRecord, type ReadOptions, type ReadResult, type RecordLog, type Store, type StoredRecord, type Versioned } from './store.js';

/** Everything in memory: `--memory` and quick tests. Same semantics as the durable stores. */
export function openMemoryStore(): Store {
  const meta = new MemoryMetadata();
  const records = new MemoryRecordLog();
  return { kind: 'memory', meta, records, close: async () => {} };
}

class MemoryMetadata implements MetadataStore {
  private readonly entries = new Map<string, { value: unknown; revision: number }>();

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    if (!keyFits(key)) return undefined;
    const entry = this.entries.get(key);
    return entry && { key, value: structuredClone(entry.value) as T, revision: entry.revision };
  }

  async list<T>(prefix: string): Promise<Versioned<T>[]> {
    if (!keyFits(prefix)) return [];
    const keys = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    return keys.map((key) => {
      const entry = this.entries.get(key)!;
      return { key, value: structuredClone(entry.value) as T, revision: entry.revision };
    });
  }

  async put<T>(key: string, value: T, expectedRevision: number): Promise<number | undefined> {
    if (!keyFits(key)) throw new KeyTooLongError(key);
    const current = this.entries.get(key)?.revision ?? 0;
    if (current !== expectedRevision) return undefined;
    this.entries.set(key, { value: structuredClone(value), revision: current + 1 });
    return current + 1;
  }

  async delete(key: string, expectedRevision: number): Promise<boolean> {
    if (!keyFits(key)) return false;
    const current = this.entries.get(key)?.revision ?? 0;
    if (current !== expectedRevision) return false;
    return this.entries.delete(key);
  }
}

class MemoryRecordLog implements RecordLog {
  private readonly logs = new Map<string, StoredRecord[]>();
  private readonly states = new LogStates(() => ({ tip: 0, durable: 0, lastArrival: 0, sealed: false }));

  private entries(log: string): StoredRecord[] {
    let entries = this.logs.get(log);
    if (!entries) {
      entries = [];
      this.logs.set(log, entries);
    }
    return entries;
  }

  async append(log: string, records: NewRecord[], writesEnd?: number): Promise<StoredRecord[]> {
    const stored = this.states.assign(log, records, writesEnd);
    const entries = this.entries(log);
    for (const record of stored) entries.push(record);
    this.states.markDurable(log, this.states.get(log).tip);
    queueMicrotask(() => this.states.notify(log));
    return stored;
  }

  async read(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult> {
    const entries = this.logs.get(log) ?? [];
    const state = this.states.get(log);
    // Both searches are binary: expired records are skipped without being looked at.
    let i = Math.max(
      firstAtOrAfter(entries, (r) => r.index >= fromIndex),
      firstAtOrAfter(entries, (r) => r.arrival >= options.notBefore),
    );
    const records: StoredRecord[] = [];
    let bytes = 0;
    let nextIndex = i < entries.length ? Math.max(fromIndex, entries[i].index) : Math.max(fromIndex, state.tip);
    for (; i < entries.length; i++) {
      const record = entries[i];
      const size = recordSize(record);
      if (records.length >= options.limit || (records.length > 0 && bytes + size > options.maxBytes)) break;
      bytes += size;
      records.push(record);
      nextIndex = record.index + 1;
    }
    // Reading through to the end of the log means everything up to the tip was seen.
    if (i >= entries.length) nextIndex = Math.max(nextIndex, state.tip);
    return { records, nextIndex, tipIndex: state.tip, lastArrival: entries.at(-1)?.arrival };
  }

  async indexAtTime(log: string, time: number): Promise<number> {
    const entries = this.logs.get(log) ?? [];
    const i = firstAtOrAfter(entries, (r) => r.arrival >= time);
    return i < entries.length ? entries[i].index : this.states.get(log).tip;
  }

  async tip(log: string): Promise<number> {
    return this.states.get(log).tip;
  }

  async seal(log: string): Promise<number> {
    return this.states.seal(log);
  }

  async trim(log: string, time: number): Promise<void> {
    const entries = this.logs.get(log);
    if (!entries) return;
    const keep = firstAtOrAfter(entries, (r) => r.arrival >= time);
    if (keep > 0) entries.splice(0, keep);
  }

  async drop(log: string): Promise<void> {
    this.logs.delete(log);
    this.states.forget(log);
  }

  watch(log: string, listener: () => void): () => void {
    return this.states.watch(log, listener);
  }

  durableEnd(log: string): number {
    return this.states.get(log).durable;
  }
}

/** Binary search: the first position whose entry satisfies a predicate that is monotonic along the log. */
function firstAtOrAfter(entries: StoredRecord[], test: (record: StoredRecord) => boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (test(entries[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
