import type { AggImpl } from './aggregates.js';
import type { Out, ProcessingTimeListener, RuntimeContext, Stateful } from './runtime.js';
import type { Row } from './values.js';

/**
 * Window assignment and window aggregation (Flink docs: window-tvf.md, window-agg.md; ANALYTICS-SPEC §5.4):
 * final results only, emitted when the watermark (or, for PROCTIME windows, the processing-time clock) reaches
 * window_end − 1 ms; rows arriving for a window that has already fired are dropped; state is purged on firing.
 */
export type WindowSpec =
  | { kind: 'TUMBLE'; size: number; offset: number }
  | { kind: 'HOP'; slide: number; size: number; offset: number }
  | { kind: 'CUMULATE'; step: number; size: number; offset: number }
  | { kind: 'SESSION'; gap: number };

/** Flink's TimeWindow.getWindowStartWithOffset. */
export function windowStart(ts: number, offset: number, size: number): number {
  const rem = (ts - offset + size) % size;
  return ts - (rem < 0 ? rem + size : rem);
}

/** The [start, end) windows a timestamp falls in (not for SESSION, whose windows depend on neighbours). */
export function assignWindows(spec: WindowSpec, ts: number, out: number[]): void {
  out.length = 0;
  switch (spec.kind) {
    case 'TUMBLE': {
      const s = windowStart(ts, spec.offset, spec.size);
      out.push(s, s + spec.size);
      return;
    }
    case 'HOP': {
      for (let s = windowStart(ts, spec.offset, spec.slide); s > ts - spec.size; s -= spec.slide) out.push(s, s + spec.size);
      return;
    }
    case 'CUMULATE': {
      const s = windowStart(ts, spec.offset, spec.size);
      for (let e = s + spec.step; e <= s + spec.size; e += spec.step) if (ts < e) out.push(s, e);
      return;
    }
    case 'SESSION':
      throw new Error('session windows are assigned by merging');
  }
}

export interface WindowAggConfig {
  spec: WindowSpec;
  /** Index of the time column in the input row. */
  timeIndex: number;
  proctime: boolean;
  /** Input row + [window_start, window_end, window_time] is what filters and keys read when this is true. */
  needsWindowColumns: boolean;
  filter?: (r: Row) => unknown;
  keys: ((r: Row) => unknown)[];
  /** SESSION only: the partition the sessions are computed in (TVF PARTITION BY, or the legacy GROUP BY keys). */
  partition: ((r: Row) => unknown)[];
  aggArgs: ((r: Row) => unknown)[];
  aggs: AggImpl[];
  /** Output: [...keys, window_start, window_end, ...agg results]. */
  out: Out;
}

interface Group {
  keys: unknown[];
  accs: unknown[];
}

interface WindowState {
  start: number;
  end: number;
  groups: Map<unknown, Group>;
}

function groupKeyOf(keys: unknown[]): unknown {
  if (keys.length === 0) return '';
  if (keys.length === 1) {
    const k = keys[0];
    return typeof k === 'object' && k !== null ? JSON.stringify(k) : k;
  }
  return JSON.stringify(keys);
}

abstract class WindowOperatorBase implements Out, Stateful, ProcessingTimeListener {
  protected wm = -Infinity;
  protected readonly nKeys: number;
  protected readonly nAggs: number;

  constructor(protected readonly cfg: WindowAggConfig, protected readonly ctx: RuntimeContext) {
    this.nKeys = cfg.keys.length;
    this.nAggs = cfg.aggs.length;
    ctx.register(cfg.spec.kind === 'SESSION' ? 'SessionWindowAggregate' : 'WindowAggregate', this);
    if (cfg.proctime) ctx.onProcessingTime(this);
  }

  abstract row(r: Row): void;
  protected abstract fire(upTo: number): void;
  abstract save(): unknown;
  abstract load(state: unknown): void;

  watermark(wm: number): void {
    if (this.cfg.proctime) {
      this.cfg.out.watermark(wm);
      return;
    }
    if (wm <= this.wm) return;
    this.wm = wm;
    this.fire(wm);
    this.cfg.out.watermark(wm);
  }

  onProcessingTime(now: number): void {
    if (now <= this.wm) return;
    this.wm = now;
    this.fire(now);
  }

  /** Groups held in open windows (state entries). */
  protected entries = 0;

  protected newGroup(keys: unknown[]): Group {
    if (++this.entries > 1024 && (this.entries & 1023) === 0) this.ctx.checkState(this.cfg.spec.kind === 'SESSION' ? 'SessionWindowAggregate' : 'WindowAggregate', this.entries);
    const accs = new Array(this.nAggs);
    for (let j = 0; j < this.nAggs; j++) accs[j] = this.cfg.aggs[j]!.init();
    return { keys, accs };
  }

  protected accumulate(g: Group, r: Row): void {
    const { aggs, aggArgs } = this.cfg;
    const accs = g.accs;
    for (let j = 0; j < this.nAggs; j++) accs[j] = aggs[j]!.add(accs[j], aggArgs[j]!(r));
  }

  protected emit(g: Group, start: number, end: number): void {
    const row = new Array(this.nKeys + 2 + this.nAggs);
    for (let i = 0; i < this.nKeys; i++) row[i] = g.keys[i];
    row[this.nKeys] = start;
    row[this.nKeys + 1] = end;
    for (let j = 0; j < this.nAggs; j++) row[this.nKeys + 2 + j] = this.cfg.aggs[j]!.result(g.accs[j]);
    this.cfg.out.row(row, '+I');
  }

  protected saveGroups(groups: Map<unknown, Group>): unknown[] {
    return [...groups.values()].map((g) => [g.keys, g.accs.map((a, j) => this.cfg.aggs[j]!.save(a))]);
  }

  protected loadGroups(saved: [unknown[], unknown[]][]): Map<unknown, Group> {
    const groups = new Map<unknown, Group>();
    for (const [keys, accs] of saved) groups.set(groupKeyOf(keys), { keys, accs: accs.map((a, j) => this.cfg.aggs[j]!.load(a)) });
    return groups;
  }
}

/** TUMBLE, HOP and CUMULATE: every window is identified by its end (its start follows from the spec). */
export class SlidingWindowAggregate extends WindowOperatorBase {
  private readonly windows = new Map<number, WindowState>();
  /** Ends of open windows, ascending: firing walks from the front. */
  private ends: number[] = [];
  private readonly assigned: number[] = [];
  private readonly ext: Row = [];

  row(r: Row): void {
    const cfg = this.cfg;
    const ts = cfg.proctime ? this.ctx.now() : (r[cfg.timeIndex] as number | null);
    if (ts === null || ts === undefined) return; // Flink drops rows whose rowtime is NULL
    assignWindows(cfg.spec, ts, this.assigned);
    const assigned = this.assigned;
    let accepted = false;
    for (let i = 0; i < assigned.length; i += 2) {
      const start = assigned[i]!;
      const end = assigned[i + 1]!;
      if (end - 1 <= this.wm) continue; // late for this window
      let input = r;
      if (cfg.needsWindowColumns) {
        input = this.ext;
        input.length = 0;
        for (let k = 0; k < r.length; k++) input.push(r[k]);
        input.push(start, end, end - 1);
      }
      if (cfg.filter && cfg.filter(input) !== true) continue;
      accepted = true;
      let w = this.windows.get(end);
      if (!w) {
        w = { start, end, groups: new Map() };
        this.windows.set(end, w);
        this.insertEnd(end);
      }
      let g: Group | undefined;
      if (this.nKeys === 1) {
        // one key (the common case): the value itself is the map key; the key array is built only for a new group
        const k = cfg.keys[0]!(input);
        const gk = typeof k === 'object' && k !== null ? JSON.stringify(k) : k;
        g = w.groups.get(gk);
        if (!g) {
          g = this.newGroup([k]);
          w.groups.set(gk, g);
        }
      } else {
        const keyVals = cfg.keys.map((f) => f(input));
        const gk = groupKeyOf(keyVals);
        g = w.groups.get(gk);
        if (!g) {
          g = this.newGroup(keyVals);
          w.groups.set(gk, g);
        }
      }
      this.accumulate(g, input);
    }
    if (!accepted && assigned.length > 0 && assigned[assigned.length - 1]! - 1 <= this.wm) this.ctx.metrics.lateRowsDropped++;
  }

  private insertEnd(end: number): void {
    const ends = this.ends;
    let i = ends.length;
    while (i > 0 && ends[i - 1]! > end) i--;
    ends.splice(i, 0, end);
  }

  protected fire(upTo: number): void {
    let n = 0;
    while (n < this.ends.length && this.ends[n]! - 1 <= upTo) {
      const end = this.ends[n]!;
      const w = this.windows.get(end)!;
      this.windows.delete(end);
      for (const g of w.groups.values()) this.emit(g, w.start, w.end);
      this.entries -= w.groups.size;
      n++;
    }
    if (n > 0) this.ends = this.ends.slice(n);
  }

  save(): unknown {
    return { wm: Number.isFinite(this.wm) ? this.wm : null, windows: this.ends.map((e) => { const w = this.windows.get(e)!; return [w.start, w.end, this.saveGroups(w.groups)]; }) };
  }

  load(state: unknown): void {
    const s = state as { wm: number | null; windows: [number, number, [unknown[], unknown[]][]][] };
    this.wm = s.wm ?? -Infinity;
    this.windows.clear();
    this.ends = [];
    this.entries = 0;
    for (const [start, end, groups] of s.windows) {
      this.windows.set(end, { start, end, groups: this.loadGroups(groups) });
      this.ends.push(end);
      this.entries += groups.length;
    }
  }
}

interface Session extends WindowState {}

/** SESSION: per partition, sessions grow and merge while rows arrive less than `gap` apart. */
export class SessionWindowAggregate extends WindowOperatorBase {
  private readonly partitions = new Map<unknown, Session[]>();

  row(r: Row): void {
    const cfg = this.cfg;
    const spec = cfg.spec as Extract<WindowSpec, { kind: 'SESSION' }>;
    const ts = cfg.proctime ? this.ctx.now() : (r[cfg.timeIndex] as number | null);
    if (ts === null || ts === undefined) return;
    let input = r;
    if (cfg.needsWindowColumns) input = [...r, null, null, null];
    if (cfg.filter && cfg.filter(input) !== true) return;
    const pk = groupKeyOf(cfg.partition.map((f) => f(input)));
    let sessions = this.partitions.get(pk);
    if (!sessions) {
      sessions = [];
      this.partitions.set(pk, sessions);
    }
    let start = ts;
    let end = ts + spec.gap;
    // Flink's TimeWindow.intersects: touching windows merge too
    const overlapping = sessions.filter((s) => s.start <= end && s.end >= start);
    for (const s of overlapping) {
      start = Math.min(start, s.start);
      end = Math.max(end, s.end);
    }
    if (end - 1 <= this.wm) {
      this.ctx.metrics.lateRowsDropped++;
      return;
    }
    let target: Session;
    if (overlapping.length === 0) {
      target = { start, end, groups: new Map() };
      sessions.push(target);
    } else {
      target = overlapping[0]!;
      for (const other of overlapping.slice(1)) {
        for (const [k, g] of other.groups) {
          const mine = target.groups.get(k);
          if (!mine) target.groups.set(k, g);
          else for (let j = 0; j < this.nAggs; j++) mine.accs[j] = cfg.aggs[j]!.merge(mine.accs[j], g.accs[j]);
        }
        sessions.splice(sessions.indexOf(other), 1);
        this.entries = -1; // recounted below
      }
      target.start = start;
      target.end = end;
      if (this.entries < 0) this.entries = [...this.partitions.values()].reduce((n, ss) => n + ss.reduce((m, x) => m + x.groups.size, 0), 0);
    }
    const keyVals = cfg.keys.map((f) => f(input));
    const gk = groupKeyOf(keyVals);
    let g = target.groups.get(gk);
    if (!g) {
      g = this.newGroup(keyVals);
      target.groups.set(gk, g);
    }
    this.accumulate(g, input);
  }

  protected fire(upTo: number): void {
    const due: Session[] = [];
    for (const [pk, sessions] of this.partitions) {
      const keep = sessions.filter((s) => {
        if (s.end - 1 <= upTo) { due.push(s); return false; }
        return true;
      });
      if (keep.length === 0) this.partitions.delete(pk);
      else this.partitions.set(pk, keep);
    }
    due.sort((a, b) => a.end - b.end || a.start - b.start);
    for (const s of due) {
      for (const g of s.groups.values()) this.emit(g, s.start, s.end);
      this.entries -= s.groups.size;
    }
  }

  save(): unknown {
    return {
      wm: Number.isFinite(this.wm) ? this.wm : null,
      partitions: [...this.partitions.entries()].map(([pk, ss]) => [pk, ss.map((s) => [s.start, s.end, this.saveGroups(s.groups)])]),
    };
  }

  load(state: unknown): void {
    const s = state as { wm: number | null; partitions: [unknown, [number, number, [unknown[], unknown[]][]][]][] };
    this.wm = s.wm ?? -Infinity;
    this.partitions.clear();
    for (const [pk, ss] of s.partitions) this.partitions.set(pk, ss.map(([start, end, groups]) => ({ start, end, groups: this.loadGroups(groups) })));
    this.entries = s.partitions.reduce((n, [, ss]) => n + ss.reduce((m, [, , g]) => m + g.length, 0), 0);
  }
}

export function createWindowAggregate(cfg: WindowAggConfig, ctx: RuntimeContext): Out {
  return cfg.spec.kind === 'SESSION' ? new SessionWindowAggregate(cfg, ctx) : new SlidingWindowAggregate(cfg, ctx);
}
