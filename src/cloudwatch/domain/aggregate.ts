/**
 * One minute of one metric in one unit: what CloudWatch keeps at one-minute resolution
 * (SampleCount, Sum, Minimum, Maximum) and, where values were sent one by one, the values with
 * their counts so percentiles can be answered.
 */
export interface Cell {
  /** SampleCount */
  n: number;
  /** Sum */
  s: number;
  /** Minimum */
  lo: number;
  /** Maximum */
  hi: number;
  /** Distinct values and their counts, flattened `[value, count, value, count, …]`. */
  v?: number[];
  /** Set once a StatisticSet or too many distinct values made percentiles unknowable for this minute. */
  x?: 1;
}

/**
 * Distinct values kept per minute for percentiles. AWS computes percentiles from all raw values;
 * beyond this many distinct ones this minute answers no percentiles (memory and document size stay
 * bounded). Millrace's own choice.
 */
export const MAX_DISTINCT_VALUES_PER_MINUTE = 500;

/** An hour of one metric: cells keyed `{minute of the hour}|{unit}`. */
export interface HourDoc {
  cells: Record<string, Cell>;
}

export const cellKey = (minute: number, unit: string) => `${minute}|${unit}`;
export const parseCellKey = (key: string): { minute: number; unit: string } => {
  const bar = key.indexOf('|');
  return { minute: Number(key.slice(0, bar)), unit: key.slice(bar + 1) };
};

/** A datum's contribution, in the three shapes PutMetricData takes. */
export type Sample =
  | { kind: 'values'; values: number[]; counts: number[] }
  | { kind: 'set'; sampleCount: number; sum: number; min: number; max: number };

export function cellOf(sample: Sample): Cell {
  if (sample.kind === 'set') return { n: sample.sampleCount, s: sample.sum, lo: sample.min, hi: sample.max, x: 1 };
  const cell: Cell = { n: 0, s: 0, lo: Infinity, hi: -Infinity, v: [] };
  for (let i = 0; i < sample.values.length; i++) addValue(cell, sample.values[i], sample.counts[i]);
  return cell;
}

function addValue(cell: Cell, value: number, count: number): void {
  cell.n += count;
  cell.s += value * count;
  if (value < cell.lo) cell.lo = value;
  if (value > cell.hi) cell.hi = value;
  if (cell.x || !cell.v) return;
  const v = cell.v;
  for (let i = 0; i < v.length; i += 2) {
    if (v[i] === value) {
      v[i + 1] += count;
      return;
    }
  }
  if (v.length / 2 >= MAX_DISTINCT_VALUES_PER_MINUTE) {
    delete cell.v;
    cell.x = 1;
    return;
  }
  v.push(value, count);
}

/** Merges `from` into `into` (in place). */
export function mergeCell(into: Cell, from: Cell): void {
  if (from.x || !from.v) {
    into.n += from.n;
    into.s += from.s;
    if (from.lo < into.lo) into.lo = from.lo;
    if (from.hi > into.hi) into.hi = from.hi;
    delete into.v;
    into.x = 1;
    return;
  }
  const v = from.v;
  if (into.x || !into.v) {
    into.n += from.n;
    into.s += from.s;
    if (from.lo < into.lo) into.lo = from.lo;
    if (from.hi > into.hi) into.hi = from.hi;
    return;
  }
  for (let i = 0; i < v.length; i += 2) addValue(into, v[i], v[i + 1]);
}

export const copyCell = (cell: Cell): Cell => ({ ...cell, ...(cell.v && { v: [...cell.v] }) });
