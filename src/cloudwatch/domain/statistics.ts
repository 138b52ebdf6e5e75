import { copyCell, mergeCell, type Cell } from './aggregate.js';

/** The five statistics of GetMetricStatistics' `Statistics` (model shape `Statistic`). */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** `p0.0` … `p100`, with up to two decimals (the model's ExtendedStatistic documentation). */
const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,2})?|100(?:\.0{1,2})?)$/;

export const isStatistic = (stat: string): stat is Statistic => (STATISTICS as readonly string[]).includes(stat);
export const percentileOf = (stat: string): number | undefined => {
  const match = PERCENTILE.exec(stat);
  return match ? Number(match[1]) : undefined;
};
/** Whether a Stat (GetMetricData) or ExtendedStatistic is one Millrace answers. */
export const isKnownStat = (stat: string) => isStatistic(stat) || percentileOf(stat) !== undefined;

/** Several minutes merged into one period's aggregate. */
export function mergeCells(cells: readonly Cell[]): Cell | undefined {
  if (cells.length === 0) return undefined;
  const merged = copyCell(cells[0]);
  for (let i = 1; i < cells.length; i++) mergeCell(merged, cells[i]);
  return merged;
}

/**
 * A statistic of one period's aggregate; undefined where it cannot be known (a percentile of a
 * minute sent as a StatisticSet, or of negative values: AWS answers none for those either).
 */
export function statisticOf(cell: Cell, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return cell.n;
    case 'Sum':
      return cell.s;
    case 'Minimum':
      return cell.lo;
    case 'Maximum':
      return cell.hi;
    case 'Average':
      return cell.n === 0 ? 0 : cell.s / cell.n;
  }
  const p = percentileOf(stat);
  if (p === undefined || cell.x || !cell.v || cell.lo < 0) return undefined;
  return percentile(cell.v, p);
}

/** Nearest-rank percentile of `[value, count, …]` pairs. */
function percentile(pairs: readonly number[], p: number): number | undefined {
  const sorted: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    sorted.push([pairs[i], pairs[i + 1]]);
    total += pairs[i + 1];
  }
  if (total <= 0) return undefined;
  sorted.sort((a, b) => a[0] - b[0]);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1][0];
}
