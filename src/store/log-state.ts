import { EventEmitter } from 'node:events';
import { SealedLogError, type NewRecord, type StoredRecord } from './store.js';

/**
 * What a single-process store keeps in memory per shard log to assign positions without a read:
 * the next index, the newest arrival time and whether the log is sealed. Both embedded stores
 * share it, so index assignment and arrival-time monotonicity are written once.
 */
export interface LogState {
  /** The index the next appended record gets. */
  tip: number;
  /**
   * Every record below this index is durable. Reads stop here, so no reader ever sees a record
   * that a crash could still take back (it would be "stored but not acknowledged").
   */
  durable: number;
  lastArrival: number;
  sealed: boolean;
}

export class LogStates {
  private readonly states = new Map<string, LogState>();
  private readonly notifier = new EventEmitter();

  constructor(private readonly load: (log: string) => LogState) {
    this.notifier.setMaxListeners(0);
  }

  get(log: string): LogState {
    let state = this.states.get(log);
    if (!state) {
      state = this.load(log);
      this.states.set(log, state);
    }
    return state;
  }

  /**
   * Assigns indexes and one arrival time to a batch, synchronously, so that concurrent appends
   * to one log are ordered by call order. The clock never runs backwards within a log (§4.8).
   */
  assign(log: string, records: NewRecord[], writesEnd?: number): StoredRecord[] {
    const state = this.get(log);
    if (state.sealed) throw new SealedLogError(log);
    const arrival = Math.max(Date.now(), state.lastArrival);
    if (writesEnd !== undefined && arrival >= writesEnd) throw new SealedLogError(log);
    const first = state.tip;
    state.tip += records.length;
    state.lastArrival = arrival;
    const stored = new Array<StoredRecord>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      stored[i] = { partitionKey: record.partitionKey, data: record.data, keyRef: record.keyRef, index: first + i, arrival };
    }
    return stored;
  }

  /** `assign` of one record. */
  assignOne(log: string, record: NewRecord, writesEnd?: number): StoredRecord {
    const state = this.get(log);
    if (state.sealed) throw new SealedLogError(log);
    const arrival = Math.max(Date.now(), state.lastArrival);
    if (writesEnd !== undefined && arrival >= writesEnd) throw new SealedLogError(log);
    state.lastArrival = arrival;
    return { partitionKey: record.partitionKey, data: record.data, keyRef: record.keyRef, index: state.tip++, arrival };
  }

  /**
   * Marks records up to `end` (exclusive) durable. Stores commit batches in the order `assign`
   * ordered them, so the durable prefix only grows.
   */
  markDurable(log: string, end: number): void {
    const state = this.get(log);
    if (end > state.durable) state.durable = end;
  }

  seal(log: string): number {
    const state = this.get(log);
    state.sealed = true;
    return state.tip;
  }

  forget(log: string): void {
    this.states.delete(log);
  }

  watch(log: string, listener: () => void): () => void {
    this.notifier.on(log, listener);
    return () => this.notifier.off(log, listener);
  }

  notify(log: string): void {
    this.notifier.emit(log);
  }
}

/** Size of a record for read budgets: data plus partition key bytes (§4.6, §4.9). */
export function recordSize(record: NewRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}
