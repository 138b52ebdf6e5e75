import type { Row } from './values.js';

/** Flink's changelog kinds: inserts, and the update/delete pairs a regular GROUP BY produces. */
export type RowKind = '+I' | '-U' | '+U' | '-D';

/** What every push-based operator receives: rows, and watermarks (event-time progress). */
export interface Out {
  row(r: Row, kind: RowKind): void;
  watermark(wm: number): void;
}

/** An operator that keeps state across rows: saved in checkpoints under a stable id (its position in the plan). */
export interface Stateful {
  save(): unknown;
  load(state: unknown): void;
}

/** An operator that reacts to processing time (PROCTIME windows). */
export interface ProcessingTimeListener {
  onProcessingTime(now: number): void;
}

/**
 * Keyed state entries (groups of open windows, regular GROUP BY groups, buffered join/rank/over rows) one operator
 * may hold: a job past it fails with a named error instead of exhausting the worker's memory (TigerStyle limit).
 */
export const DEFAULT_MAX_STATE_ENTRIES = 2_000_000;

export interface RuntimeContext {
  now(): number;
  /** Fails the job when an operator's state grows past the limit. */
  checkState(operator: string, entries: number): void;
  /** Register an operator's state; the id is deterministic for the same script. */
  register(kind: string, op: Stateful): string;
  onProcessingTime(listener: ProcessingTimeListener): void;
  metrics: EngineMetrics;
}

export interface EngineMetrics {
  /** Rows decoded from sources. */
  rowsIn: number;
  /** Rows handed to sinks. */
  rowsOut: number;
  /** Rows dropped because their window had already fired (late data). */
  lateRowsDropped: number;
  /** Records skipped by `json.ignore-parse-errors` / `csv.ignore-parse-errors`. */
  recordsSkipped: number;
}

/** Fan one stream out to several consumers (a table read by several INSERTs). */
export class FanOut implements Out {
  readonly outs: Out[] = [];
  row(r: Row, kind: RowKind): void {
    const outs = this.outs;
    for (let i = 0; i < outs.length; i++) outs[i]!.row(r, kind);
  }
  watermark(wm: number): void {
    for (const o of this.outs) o.watermark(wm);
  }
}
