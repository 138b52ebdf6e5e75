import type { TableColumn, TableDef } from './catalog.js';
import { ExprCompiler } from './expr.js';
import { createFormat, type Format } from './formats.js';
import { FanOut, type Out, type RuntimeContext } from './runtime.js';
import { isIntegral, isNumeric, isString, isTimestamp, type SqlType } from './types.js';
import type { Row } from './values.js';

/** A record as a Kinesis shard (or any other log) delivers it. */
export interface SourceRecord {
  /** The payload; decoded with the table's format. */
  data: Uint8Array | string;
  /** The shard's sequence number: the source position saved in checkpoints. */
  sequenceNumber?: string;
  /** ApproximateArrivalTimestamp in epoch ms: the `timestamp` metadata column. */
  arrivalTime?: number;
  partitionKey?: string;
  /** The filesystem connector's readable metadata (`file.path`, `file.name`, `file.size`, `file.modification-time`). */
  file?: { path: string; name: string; size: number; modified: number };
}

interface ShardState {
  position: string | null;
  /** This shard's watermark: the largest watermark-expression value seen (Flink's per-split generator). */
  watermark: number;
  lastActive: number;
  idle: boolean;
  finished: boolean;
}

export interface SourceState {
  shards: Record<string, { position: string | null; watermark: number | null; idle: boolean; finished: boolean }>;
  emitted: number | null;
  generated?: { count: number; seed: number; sequences: Record<string, number>; startedAt: number };
}

export const DEFAULT_SHARD = 'shardId-000000000000';

/**
 * One source table: decodes records, builds the table's full rows (physical, metadata, computed columns), keeps a
 * watermark per shard and emits the minimum over shards that are neither idle (`table.exec.source.idle-timeout`)
 * nor finished, never going backwards.
 */
export class SourceTable {
  readonly out = new FanOut();
  readonly name: string;
  protected readonly format: Format | undefined;
  private readonly physicalIndex: number[];
  private readonly metadata: { index: number; key: string }[];
  private readonly computed: { index: number; fn: (r: Row) => unknown }[];
  private readonly watermarkFn: ((r: Row) => unknown) | undefined;
  protected readonly shards = new Map<string, ShardState>();
  private emitted = -Infinity;
  private readonly width: number;
  private readonly physicalOnly: boolean;

  constructor(
    readonly table: TableDef,
    protected readonly ctx: RuntimeContext,
    private readonly idleTimeout: number,
    private readonly afterInput: () => void,
  ) {
    this.name = table.name;
    const cols = table.columns;
    this.width = cols.length;
    const physical = cols.filter((c) => c.kind === 'physical');
    this.physicalIndex = physical.map((c) => cols.indexOf(c));
    const formatName = table.options['format'] ?? table.options['value.format'];
    this.format = formatName ? createFormat(formatName, physical, formatOptions(table.options, formatName)) : undefined;
    this.metadata = cols.flatMap((c, index) => (c.kind === 'metadata' ? [{ index, key: c.metadataKey! }] : []));
    const fields = cols.map((c) => ({ name: c.name, type: c.type }));
    this.computed = cols.flatMap((c, index) => (c.kind === 'computed' ? [{ index, fn: new ExprCompiler(fields, { now: ctx.now }).compile(c.expr!).fn }] : []));
    this.physicalOnly = physical.length === cols.length;
    this.watermarkFn = table.watermark ? new ExprCompiler(fields, { now: ctx.now }).compile(table.watermark.expr).fn : undefined;
  }

  connect(out: Out): void {
    this.out.outs.push(out);
  }

  private shard(id: string): ShardState {
    let s = this.shards.get(id);
    if (!s) {
      s = { position: null, watermark: -Infinity, lastActive: this.ctx.now(), idle: false, finished: false };
      this.shards.set(id, s);
    }
    return s;
  }

  /** Announce a shard before it has records: it holds the watermark back until it has data or turns idle. */
  addShard(id: string): void {
    this.shard(id);
  }

  /** Mark a shard idle now (e.g. the reader saw it empty), so it stops holding the watermark back. */
  markIdle(id: string): void {
    this.shard(id).idle = true;
    this.updateWatermark();
    this.afterInput();
  }

  /** A closed shard (after resharding) that has been read to its end. */
  finishShard(id: string): void {
    this.shard(id).finished = true;
    this.updateWatermark();
    this.afterInput();
  }

  /** The last sequence number taken per shard: where a restarted reader resumes (AFTER_SEQUENCE_NUMBER). */
  positions(): Record<string, string | null> {
    return Object.fromEntries([...this.shards.entries()].map(([k, s]) => [k, s.position]));
  }

  currentWatermark(): number {
    return this.emitted;
  }

  protected emitRow(physical: Row, shardId: string, rec: SourceRecord | undefined, shard: ShardState): void {
    let row: Row;
    if (this.physicalOnly) row = physical; // the common table of physical columns only: no copy
    else {
      row = new Array(this.width);
      const pi = this.physicalIndex;
      for (let i = 0; i < pi.length; i++) row[pi[i]!] = physical[i];
    }
    for (const m of this.metadata) {
      const file = rec?.file;
      row[m.index] = file
        ? m.key === 'file.path' ? file.path : m.key === 'file.name' ? file.name : m.key === 'file.size' ? file.size : m.key === 'file.modification-time' ? file.modified : null
        : m.key === 'timestamp' ? rec?.arrivalTime ?? this.ctx.now() : m.key === 'shard-id' ? shardId : m.key === 'sequence-number' ? rec?.sequenceNumber ?? null : null;
    }
    for (const c of this.computed) row[c.index] = c.fn(row);
    if (this.watermarkFn) {
      const wm = this.watermarkFn(row) as number | null;
      if (wm !== null && wm > shard.watermark) shard.watermark = wm;
    }
    this.ctx.metrics.rowsIn++;
    this.out.row(row, '+I');
  }

  /** Records of one shard, in shard order. */
  push(records: SourceRecord[], shardId: string = DEFAULT_SHARD): void {
    const format = this.format;
    if (!format) throw new Error(`table ${this.name} has no format`);
    const shard = this.shard(shardId);
    for (const rec of records) {
      const physical = format.decode(rec.data);
      if (rec.sequenceNumber !== undefined) shard.position = rec.sequenceNumber;
      if (physical === undefined) {
        this.ctx.metrics.recordsSkipped++;
        continue;
      }
      this.emitRow(physical, shardId, rec, shard);
    }
    this.active(shard);
  }

  /**
   * Rows already decoded into the physical columns' values (undefined: a record the format skipped), all
   * from one record source `rec` (the filesystem reader: one file, partition values taken from its path).
   */
  pushPhysical(rows: (Row | undefined)[], shardId: string = DEFAULT_SHARD, rec?: SourceRecord): void {
    const shard = this.shard(shardId);
    for (const physical of rows) {
      if (physical === undefined) this.ctx.metrics.recordsSkipped++;
      else this.emitRow(physical, shardId, rec, shard);
    }
    this.active(shard);
  }

  /** Already-decoded rows (objects keyed by column name), e.g. from tests or an in-process reader. */
  pushRows(rows: Record<string, unknown>[], shardId: string = DEFAULT_SHARD): void {
    const shard = this.shard(shardId);
    const physicalCols = this.table.columns.filter((c) => c.kind === 'physical');
    for (const obj of rows) {
      const physical = this.format ? this.format.decodeObject(obj) : physicalCols.map((c) => obj[c.name] ?? null);
      this.emitRow(physical, shardId, undefined, shard);
    }
    this.active(shard);
  }

  private active(shard: ShardState): void {
    shard.lastActive = this.ctx.now();
    shard.idle = false;
    this.updateWatermark();
    this.afterInput();
  }

  /** Processing time moved: shards quiet for the idle timeout become idle. */
  checkIdle(now: number): void {
    if (this.idleTimeout > 0) {
      for (const s of this.shards.values()) if (!s.idle && now - s.lastActive >= this.idleTimeout) s.idle = true;
    }
    this.updateWatermark();
  }

  private updateWatermark(): void {
    if (!this.watermarkFn) return;
    let min = Infinity;
    let live = 0;
    let all = 0;
    for (const s of this.shards.values()) {
      all++;
      if (s.finished) continue;
      if (s.idle) continue;
      live++;
      if (s.watermark < min) min = s.watermark;
    }
    if (all === 0) return;
    if (live === 0) {
      // every shard finished: end of input, Flink's MAX_WATERMARK fires every window; all idle: no progress
      if ([...this.shards.values()].every((s) => s.finished)) min = Infinity;
      else return;
    }
    if (min > this.emitted) {
      this.emitted = min;
      this.out.watermark(min);
    }
  }

  save(): SourceState {
    return {
      shards: Object.fromEntries([...this.shards.entries()].map(([k, s]) => [k, { position: s.position, watermark: Number.isFinite(s.watermark) ? s.watermark : null, idle: s.idle, finished: s.finished }])),
      emitted: Number.isFinite(this.emitted) ? this.emitted : null,
    };
  }

  load(state: SourceState): void {
    this.shards.clear();
    for (const [k, s] of Object.entries(state.shards)) {
      this.shards.set(k, { position: s.position, watermark: s.watermark ?? -Infinity, lastActive: this.ctx.now(), idle: s.idle, finished: s.finished });
    }
    this.emitted = state.emitted ?? -Infinity;
  }
}

function formatOptions(options: Record<string, string>, format: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (k.startsWith(`${format}.`)) out[k] = v;
    else if (k.startsWith(`value.${format}.`)) out[k.slice(6)] = v;
  }
  return out;
}

/** mulberry32: a small seeded generator, so datagen output is reproducible and its state fits a checkpoint. */
function nextRandom(state: { seed: number }): number {
  let t = (state.seed = (state.seed + 0x6d2b79f5) | 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const DATAGEN_DEFAULT_ROWS_PER_SECOND = 10000;
const DATAGEN_DEFAULT_STRING_LENGTH = 100;
/** Rows generated per advance() at most, so a long jump of the clock cannot exhaust memory. */
export const DATAGEN_MAX_ROWS_PER_ADVANCE = 100_000;

/** The `datagen` connector: rows-per-second rows on the processing-time clock, random or sequence fields. */
export class DatagenSource extends SourceTable {
  private gen = { count: 0, seed: 42, sequences: {} as Record<string, number>, startedAt: 0 };
  private readonly rps: number;
  private readonly limit: number;
  private readonly physical: TableColumn[];

  constructor(table: TableDef, ctx: RuntimeContext, idleTimeout: number, afterInput: () => void) {
    super(table, ctx, idleTimeout, afterInput);
    this.rps = Number(table.options['rows-per-second'] ?? DATAGEN_DEFAULT_ROWS_PER_SECOND);
    this.limit = table.options['number-of-rows'] !== undefined ? Number(table.options['number-of-rows']) : Infinity;
    this.physical = table.columns.filter((c) => c.kind === 'physical');
    this.gen.startedAt = ctx.now();
    this.addShard('datagen');
  }

  private value(col: TableColumn): unknown {
    const o = this.table.options;
    const opt = (k: string): string | undefined => o[`fields.${col.name}.${k}`];
    const ty: SqlType = col.type;
    if (opt('kind') === 'sequence') {
      const start = Number(opt('start') ?? 0);
      const v = this.gen.sequences[col.name] ?? start;
      this.gen.sequences[col.name] = v + 1;
      return isString(ty) ? String(v) : v;
    }
    const nullRate = Number(opt('null-rate') ?? 0);
    if (nullRate > 0 && nextRandom(this.gen) < nullRate) return null;
    const r = nextRandom(this.gen);
    if (isIntegral(ty)) {
      const min = Number(opt('min') ?? (ty.name === 'BIGINT' ? -Number.MAX_SAFE_INTEGER : -2147483648));
      const max = Number(opt('max') ?? (ty.name === 'BIGINT' ? Number.MAX_SAFE_INTEGER : 2147483647));
      return Math.floor(min + r * (max - min + 1));
    }
    if (isNumeric(ty)) {
      const min = Number(opt('min') ?? 0);
      const max = Number(opt('max') ?? 1);
      const v = min + r * (max - min);
      return ty.name === 'DECIMAL' ? Number(v.toFixed(ty.scale ?? 0)) : v;
    }
    if (ty.name === 'BOOLEAN') return r < 0.5;
    if (isTimestamp(ty) || ty.name === 'DATE') {
      const maxPast = Number((opt('max-past') ?? '0').replace(/[^\d]/g, '') || 0);
      return this.ctx.now() - Math.floor(r * maxPast);
    }
    if (isString(ty)) {
      const len = Number(opt('length') ?? Math.min(ty.precision ?? DATAGEN_DEFAULT_STRING_LENGTH, DATAGEN_DEFAULT_STRING_LENGTH));
      let s = '';
      let x = r;
      for (let i = 0; i < len; i++) {
        s += (Math.floor(x * 16)).toString(16);
        x = nextRandom(this.gen);
      }
      return s;
    }
    return null;
  }

  generate(now: number): void {
    const due = Math.min(this.limit, Math.floor(((now - this.gen.startedAt) / 1000) * this.rps));
    const n = Math.min(DATAGEN_MAX_ROWS_PER_ADVANCE, due - this.gen.count);
    if (n <= 0) {
      if (this.gen.count >= this.limit) this.finishShard('datagen');
      return;
    }
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) rows.push(Object.fromEntries(this.physical.map((c) => [c.name, this.value(c)])));
    this.gen.count += n;
    this.pushRows(rows, 'datagen');
    if (this.gen.count >= this.limit) this.finishShard('datagen');
  }

  override save(): SourceState {
    return { ...super.save(), generated: { ...this.gen, sequences: { ...this.gen.sequences } } };
  }

  override load(state: SourceState): void {
    super.load(state);
    if (state.generated) this.gen = { ...state.generated, sequences: { ...state.generated.sequences } };
  }
}
