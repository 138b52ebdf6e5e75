import type { Out, RowKind, RuntimeContext, Stateful } from './runtime.js';
import type { Row } from './values.js';

/**
 * Joins of two append-only streams (Flink docs: joins.md, window-join.md):
 * - interval join: rows match when their time attributes are within bounds; state is purged as the watermark passes;
 * - window join: rows of the same window (and key) are joined when the watermark passes the window end, with
 *   LEFT/RIGHT/FULL emitting the unmatched rows padded with NULLs;
 * - regular inner join: every row is kept and joined with every later match (state grows without bound).
 */
export interface JoinConfig {
  kind: 'interval' | 'window' | 'regular';
  joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL';
  leftWidth: number;
  rightWidth: number;
  leftKey: (r: Row) => unknown;
  rightKey: (r: Row) => unknown;
  /** The whole ON condition evaluated on left ++ right. */
  condition: (r: Row) => unknown;
  /** interval: index of the time attribute on each side and bounds on left.ts - right.ts. */
  leftTime?: number;
  rightTime?: number;
  lower?: number;
  upper?: number;
  /** window: index of window_end on each side. */
  leftEnd?: number;
  rightEnd?: number;
  out: Out;
}

type Side = Map<unknown, Row[]>;

export class StreamJoin implements Stateful {
  private left: Side = new Map();
  private right: Side = new Map();
  /** window join: per window end, the rows of each side. */
  private windows = new Map<number, { left: Side; right: Side }>();
  private wms = [-Infinity, -Infinity];
  private emitted = -Infinity;

  constructor(private readonly cfg: JoinConfig, private readonly ctx: RuntimeContext) {
    ctx.register(cfg.kind === 'window' ? 'WindowJoin' : cfg.kind === 'interval' ? 'IntervalJoin' : 'Join', this);
  }

  input(side: 0 | 1): Out {
    return { row: (r, kind) => this.row(side, r, kind), watermark: (wm) => this.watermark(side, wm) };
  }

  private joined(l: Row | null, r: Row | null): Row {
    const { leftWidth, rightWidth } = this.cfg;
    return [...(l ?? new Array(leftWidth).fill(null)), ...(r ?? new Array(rightWidth).fill(null))];
  }

  private row(side: 0 | 1, r: Row, kind: RowKind): void {
    const cfg = this.cfg;
    const key = side === 0 ? cfg.leftKey(r) : cfg.rightKey(r);
    if (key === null) return;
    if (cfg.kind === 'window') {
      const end = r[side === 0 ? cfg.leftEnd! : cfg.rightEnd!] as number;
      if (end - 1 <= Math.min(this.wms[0]!, this.wms[1]!)) {
        this.ctx.metrics.lateRowsDropped++;
        return;
      }
      let w = this.windows.get(end);
      if (!w) {
        w = { left: new Map(), right: new Map() };
        this.windows.set(end, w);
      }
      add(side === 0 ? w.left : w.right, key, r);
      return;
    }
    const mine = side === 0 ? this.left : this.right;
    const other = side === 0 ? this.right : this.left;
    for (const o of other.get(key) ?? []) {
      const j = side === 0 ? this.joined(r, o) : this.joined(o, r);
      if (cfg.condition(j) === true) cfg.out.row(j, kind);
    }
    add(mine, key, r);
    if (++this.rowsHeld % 1024 === 0) {
      this.rowsHeld = 0;
      for (const side of [this.left, this.right]) for (const rows of side.values()) this.rowsHeld += rows.length;
      this.ctx.checkState(this.cfg.kind === 'interval' ? 'IntervalJoin' : 'Join', this.rowsHeld);
    }
  }

  /** Rows held on both sides (recounted every 1,024 additions, so purges are seen). */
  private rowsHeld = 0;

  private watermark(side: 0 | 1, wm: number): void {
    this.wms[side] = wm;
    const min = Math.min(this.wms[0]!, this.wms[1]!);
    if (min <= this.emitted) return;
    const cfg = this.cfg;
    if (cfg.kind === 'window') {
      const due = [...this.windows.keys()].filter((e) => e - 1 <= min).sort((a, b) => a - b);
      for (const end of due) this.fireWindow(this.windows.get(end)!), this.windows.delete(end);
      this.emitted = min;
      cfg.out.watermark(min);
      return;
    }
    if (cfg.kind === 'interval') {
      // a left row at lt matches right rows with rt in [lt - upper, lt - lower]: useless once min > lt - lower
      purge(this.left, (r) => (r[cfg.leftTime!] as number) - cfg.lower! < min);
      purge(this.right, (r) => (r[cfg.rightTime!] as number) + cfg.upper! < min);
      this.emitted = min;
      // joined rows can carry times up to the larger bound behind the inputs' watermark
      cfg.out.watermark(min - Math.max(Math.abs(cfg.lower!), Math.abs(cfg.upper!)));
      return;
    }
    this.emitted = min;
    cfg.out.watermark(min);
  }

  private fireWindow(w: { left: Side; right: Side }): void {
    const { joinType, condition, out } = this.cfg;
    const matchedRight = new Set<Row>();
    for (const [key, lrows] of w.left) {
      const rrows = w.right.get(key) ?? [];
      for (const l of lrows) {
        let matched = false;
        for (const r of rrows) {
          const j = this.joined(l, r);
          if (condition(j) === true) {
            matched = true;
            matchedRight.add(r);
            out.row(j, '+I');
          }
        }
        if (!matched && (joinType === 'LEFT' || joinType === 'FULL')) out.row(this.joined(l, null), '+I');
      }
    }
    if (joinType === 'RIGHT' || joinType === 'FULL') {
      for (const rrows of w.right.values()) for (const r of rrows) if (!matchedRight.has(r)) out.row(this.joined(null, r), '+I');
    }
  }

  save(): unknown {
    return {
      wms: this.wms.map((w) => (Number.isFinite(w) ? w : null)),
      emitted: Number.isFinite(this.emitted) ? this.emitted : null,
      left: [...this.left.entries()],
      right: [...this.right.entries()],
      windows: [...this.windows.entries()].map(([e, w]) => [e, [...w.left.entries()], [...w.right.entries()]]),
    };
  }

  load(state: unknown): void {
    const s = state as { wms: (number | null)[]; emitted: number | null; left: [unknown, Row[]][]; right: [unknown, Row[]][]; windows: [number, [unknown, Row[]][], [unknown, Row[]][]][] };
    this.wms = s.wms.map((w) => w ?? -Infinity);
    this.emitted = s.emitted ?? -Infinity;
    this.left = new Map(s.left);
    this.right = new Map(s.right);
    this.windows = new Map(s.windows.map(([e, l, r]) => [e, { left: new Map(l), right: new Map(r) }]));
  }
}

function add(side: Side, key: unknown, r: Row): void {
  const list = side.get(key);
  if (list) list.push(r);
  else side.set(key, [r]);
}

function purge(side: Side, expired: (r: Row) => boolean): void {
  for (const [k, rows] of side) {
    const keep = rows.filter((r) => !expired(r));
    if (keep.length === 0) side.delete(k);
    else if (keep.length !== rows.length) side.set(k, keep);
  }
}
