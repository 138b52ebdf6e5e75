import type { AggImpl } from './aggregates.js';
import { UnsupportedSqlError } from './errors.js';
import type { Out, RowKind, RuntimeContext, Stateful } from './runtime.js';
import type { Row } from './values.js';

function keyOf(vals: unknown[]): unknown {
  if (vals.length === 0) return '';
  if (vals.length === 1 && (typeof vals[0] !== 'object' || vals[0] === null)) return vals[0];
  return JSON.stringify(vals);
}

/** Merges the watermarks of several inputs: the output watermark is their minimum (UNION ALL, joins). */
export class UnionWatermarks {
  private readonly wms: number[];
  private emitted = -Infinity;
  constructor(private readonly out: Out, n: number) {
    this.wms = new Array(n).fill(-Infinity);
  }
  input(i: number): Out {
    return {
      row: (r, kind) => this.out.row(r, kind),
      watermark: (wm) => {
        this.wms[i] = wm;
        const min = Math.min(...this.wms);
        if (min > this.emitted) {
          this.emitted = min;
          this.out.watermark(min);
        }
      },
    };
  }
}

interface GroupState {
  keys: unknown[];
  accs: unknown[];
  count: number;
}

/** Regular GROUP BY: keeps every group forever and emits the change of each group's row (+I, -U/+U, -D). */
export class GroupAggregate implements Out, Stateful {
  private readonly groups = new Map<unknown, GroupState>();

  constructor(
    private readonly cfg: { filter?: (r: Row) => unknown; keys: ((r: Row) => unknown)[]; aggArgs: ((r: Row) => unknown)[]; aggs: AggImpl[]; out: Out },
    private readonly ctx: RuntimeContext,
  ) {
    ctx.register('GroupAggregate', this);
  }

  private result(g: GroupState): Row {
    return [...g.keys, ...g.accs.map((a, j) => this.cfg.aggs[j]!.result(a))];
  }

  row(r: Row, kind: RowKind): void {
    const { filter, keys, aggArgs, aggs, out } = this.cfg;
    if (filter && filter(r) !== true) return;
    const kv = keys.map((f) => f(r));
    const k = keyOf(kv);
    let g = this.groups.get(k);
    const before = g ? this.result(g) : undefined;
    if (!g) {
      g = { keys: kv, accs: aggs.map((a) => a.init()), count: 0 };
      this.groups.set(k, g);
      if ((this.groups.size & 1023) === 0) this.ctx.checkState('GroupAggregate', this.groups.size);
    }
    const retract = kind === '-U' || kind === '-D';
    for (let j = 0; j < aggs.length; j++) {
      const a = aggs[j]!;
      if (retract) {
        if (!a.retract) throw new UnsupportedSqlError('MIN/MAX/FIRST_VALUE/LAST_VALUE over an updating input');
        g.accs[j] = a.retract(g.accs[j], aggArgs[j]!(r));
      } else g.accs[j] = a.add(g.accs[j], aggArgs[j]!(r));
    }
    g.count += retract ? -1 : 1;
    if (g.count <= 0) {
      this.groups.delete(k);
      if (before) out.row(before, '-D');
      return;
    }
    const after = this.result(g);
    if (before) {
      out.row(before, '-U');
      out.row(after, '+U');
    } else out.row(after, '+I');
  }

  watermark(wm: number): void {
    this.cfg.out.watermark(wm);
  }

  save(): unknown {
    return [...this.groups.values()].map((g) => [g.keys, g.accs.map((a, j) => this.cfg.aggs[j]!.save(a)), g.count]);
  }

  load(state: unknown): void {
    this.groups.clear();
    for (const [keys, accs, count] of state as [unknown[], unknown[], number][]) {
      this.groups.set(keyOf(keys), { keys, accs: accs.map((a, j) => this.cfg.aggs[j]!.load(a)), count });
    }
  }
}

/**
 * Window Top-N (ROW_NUMBER() OVER (PARTITION BY window_start, window_end, … ORDER BY …)): rows of a window are
 * held until the watermark passes its end, then ranked and emitted once, with the rank appended.
 */
export class WindowRank implements Out, Stateful {
  private readonly windows = new Map<number, Map<unknown, Row[]>>();
  private wm = -Infinity;

  constructor(
    private readonly cfg: { partition: ((r: Row) => unknown)[]; windowEnd: (r: Row) => number; compare: (a: Row, b: Row) => number; filter?: (r: Row) => unknown; out: Out },
    private readonly ctx: RuntimeContext,
  ) {
    ctx.register('WindowRank', this);
  }

  row(r: Row): void {
    if (this.cfg.filter && this.cfg.filter(r) !== true) return;
    const end = this.cfg.windowEnd(r);
    if (end - 1 < this.wm) {
      this.ctx.metrics.lateRowsDropped++;
      return;
    }
    let parts = this.windows.get(end);
    if (!parts) {
      parts = new Map();
      this.windows.set(end, parts);
    }
    const pk = keyOf(this.cfg.partition.map((f) => f(r)));
    const rows = parts.get(pk);
    if (rows) rows.push(r);
    else parts.set(pk, [r]);
  }

  watermark(wm: number): void {
    if (wm <= this.wm) return;
    this.wm = wm;
    const due = [...this.windows.keys()].filter((e) => e - 1 <= wm).sort((a, b) => a - b);
    for (const end of due) {
      for (const rows of this.windows.get(end)!.values()) {
        rows.sort(this.cfg.compare);
        rows.forEach((r, i) => this.cfg.out.row([...r, i + 1], '+I'));
      }
      this.windows.delete(end);
    }
    this.cfg.out.watermark(wm);
  }

  save(): unknown {
    return { wm: Number.isFinite(this.wm) ? this.wm : null, windows: [...this.windows.entries()].map(([e, parts]) => [e, [...parts.entries()]]) };
  }

  load(state: unknown): void {
    const s = state as { wm: number | null; windows: [number, [unknown, Row[]][]][] };
    this.wm = s.wm ?? -Infinity;
    this.windows.clear();
    for (const [e, parts] of s.windows) this.windows.set(e, new Map(parts));
  }
}

interface OverPartition {
  /** Rows in the frame: [ts, ...argument values]. */
  history: unknown[][];
  /** Running accumulators for an unbounded frame. */
  accs?: unknown[];
}

/**
 * OVER aggregation: one output row per input row with aggregates over the preceding rows of its partition.
 * Event-time: rows wait until the watermark passes them and are processed in timestamp order (late rows dropped);
 * RANGE frames include all rows with the same timestamp (peers).
 */
export class OverAggregate implements Out, Stateful {
  private buffer: Row[] = [];
  private readonly partitions = new Map<unknown, OverPartition>();
  private wm = -Infinity;

  constructor(
    private readonly cfg: {
      partition: ((r: Row) => unknown)[]; timeIndex: number; proctime: boolean; frame: { rows?: number; range?: number };
      aggs: { impl: AggImpl; arg: (r: Row) => unknown }[]; filter?: (r: Row) => unknown; out: Out;
    },
    private readonly ctx: RuntimeContext,
  ) {
    ctx.register('OverAggregate', this);
  }

  row(r: Row): void {
    if (this.cfg.filter && this.cfg.filter(r) !== true) return;
    if (this.cfg.proctime) {
      this.process([r], this.ctx.now());
      return;
    }
    const ts = r[this.cfg.timeIndex] as number | null;
    if (ts === null || ts <= this.wm) {
      this.ctx.metrics.lateRowsDropped++;
      return;
    }
    this.buffer.push(r);
  }

  private process(rows: Row[], ts: number): void {
    const { aggs, frame, out } = this.cfg;
    const byPartition = new Map<unknown, Row[]>();
    for (const r of rows) {
      const pk = keyOf(this.cfg.partition.map((f) => f(r)));
      const list = byPartition.get(pk);
      if (list) list.push(r);
      else byPartition.set(pk, [r]);
    }
    for (const [pk, list] of byPartition) {
      let p = this.partitions.get(pk);
      if (!p) {
        p = { history: [] };
        this.partitions.set(pk, p);
      }
      const unbounded = frame.rows === undefined && frame.range === undefined;
      if (unbounded) {
        p.accs ??= aggs.map((a) => a.impl.init());
        for (const r of list) aggs.forEach((a, j) => { p!.accs![j] = a.impl.add(p!.accs![j], a.arg(r)); });
        const results = aggs.map((a, j) => a.impl.result(p!.accs![j]));
        for (const r of list) out.row([...r, ...results], '+I');
        continue;
      }
      const fold = (hist: unknown[][]): unknown[] => aggs.map((a, j) => {
        let acc = a.impl.init();
        for (const h of hist) acc = a.impl.add(acc, h[j + 1]);
        return a.impl.result(acc);
      });
      if (frame.range !== undefined) {
        for (const r of list) p.history.push([ts, ...aggs.map((a) => a.arg(r))]);
        p.history = p.history.filter((h) => (h[0] as number) >= ts - frame.range!);
        const results = fold(p.history);
        for (const r of list) out.row([...r, ...results], '+I');
      } else {
        for (const r of list) {
          p.history.push([ts, ...aggs.map((a) => a.arg(r))]);
          if (p.history.length > frame.rows! + 1) p.history.shift();
          out.row([...r, ...fold(p.history)], '+I');
        }
      }
    }
  }

  watermark(wm: number): void {
    if (wm <= this.wm) return;
    this.wm = wm;
    if (!this.cfg.proctime && this.buffer.length > 0) {
      const ti = this.cfg.timeIndex;
      const ready = this.buffer.filter((r) => (r[ti] as number) <= wm).sort((a, b) => (a[ti] as number) - (b[ti] as number));
      this.buffer = this.buffer.filter((r) => (r[ti] as number) > wm);
      for (let i = 0; i < ready.length; ) {
        const ts = ready[i]![ti] as number;
        let j = i;
        while (j < ready.length && ready[j]![ti] === ts) j++;
        this.process(ready.slice(i, j), ts);
        i = j;
      }
    }
    this.cfg.out.watermark(wm);
  }

  save(): unknown {
    return {
      wm: Number.isFinite(this.wm) ? this.wm : null,
      buffer: this.buffer,
      partitions: [...this.partitions.entries()].map(([k, p]) => [k, p.history, p.accs?.map((a, j) => this.cfg.aggs[j]!.impl.save(a))]),
    };
  }

  load(state: unknown): void {
    const s = state as { wm: number | null; buffer: Row[]; partitions: [unknown, unknown[][], unknown[] | undefined][] };
    this.wm = s.wm ?? -Infinity;
    this.buffer = s.buffer;
    this.partitions.clear();
    for (const [k, history, accs] of s.partitions) {
      this.partitions.set(k, { history, accs: accs?.map((a, j) => this.cfg.aggs[j]!.impl.load(a)) });
    }
  }
}
