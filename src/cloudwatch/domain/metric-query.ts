import type { Store } from '../../store/store.js';
import { mergeCell, copyCell, type Cell } from './aggregate.js';
import { MINUTE_MS, type Dimension } from './metric-series.js';
import { MetricStore, type StoredMinute } from './metric-store.js';
import { statisticOf } from './statistics.js';

/**
 * Reading metrics as series: the one query every reader shares — GetMetricStatistics,
 * GetMetricData and the console's charts (`/_millrace/api/metrics/series`), so the console never
 * disagrees with the CloudWatch API.
 */

export interface MetricQuery {
  account: string;
  region: string;
  /** e.g. `AWS/Kinesis`, or a namespace a client put (KCL: the application name). */
  namespace: string;
  /** e.g. `IncomingRecords`, `GetRecords.IteratorAgeMilliseconds`. */
  metricName: string;
  /** The metric's exact dimension set, e.g. `[{ Name: 'StreamName', Value: 'orders' }]` (any order). */
  dimensions: Dimension[];
  /** Epoch ms, inclusive; rounded down to the period's boundary (whole minutes for periods ≥ 60). */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  /** Seconds: 60 or a multiple of it (data are one-minute aggregates); 1, 5, 10, 20, 30 give minute points. */
  period: number;
  /** `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum` or a percentile `p50`, `p99.9`, … */
  stat: string;
  /** Only data put with this unit; all units when omitted. */
  unit?: string;
}

export interface MetricSeries {
  /** Period starts, epoch ms, ascending; only periods with data. */
  timestamps: number[];
  values: number[];
  /** The unit the data were put with (of the first point), if any. */
  unit?: string;
}

/** One period's aggregate. */
export interface PeriodAggregate {
  /** Period start, epoch ms. */
  time: number;
  unit: string;
  cell: Cell;
}

/** The first period start of a query: AWS rounds start times down (model GetMetricStatistics StartTime). */
export function alignedStart(start: number, periodSeconds: number): number {
  const step = periodSeconds >= 60 ? MINUTE_MS : periodSeconds * 1000;
  return Math.floor(start / step) * step;
}

/** Merges one-minute aggregates into periods of `periodSeconds` from `start`. */
export function periodsOf(minutes: readonly StoredMinute[], start: number, periodSeconds: number, unit?: string): PeriodAggregate[] {
  const periodMs = Math.max(periodSeconds, 60) * 1000;
  const from = alignedStart(start, periodSeconds);
  const byPeriod = new Map<number, PeriodAggregate>();
  for (const minute of minutes) {
    if (unit !== undefined && minute.unit !== unit) continue;
    if (minute.time < from) continue;
    const time = periodSeconds >= 60 ? from + Math.floor((minute.time - from) / periodMs) * periodMs : minute.time;
    const current = byPeriod.get(time);
    if (current) mergeCell(current.cell, minute.cell);
    else byPeriod.set(time, { time, unit: minute.unit, cell: copyCell(minute.cell) });
  }
  return [...byPeriod.values()].sort((a, b) => a.time - b.time);
}

/** The aggregates of one metric per period, ascending. */
export async function queryPeriods(store: Store | MetricStore, query: Omit<MetricQuery, 'stat'>): Promise<PeriodAggregate[]> {
  const metrics = store instanceof MetricStore ? store : new MetricStore(store);
  const start = alignedStart(query.start, query.period);
  const minutes = await metrics.read(
    { account: query.account, region: query.region },
    { namespace: query.namespace, metricName: query.metricName, dimensions: query.dimensions },
    start,
    query.end,
  );
  return periodsOf(minutes, start, query.period, query.unit);
}

/**
 * One statistic of one metric per period, ascending by time: the console's chart series.
 * Periods without data are left out, as CloudWatch leaves them out.
 */
export async function queryMetric(store: Store | MetricStore, query: MetricQuery): Promise<MetricSeries> {
  const periods = await queryPeriods(store, query);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (const period of periods) {
    const value = statisticOf(period.cell, query.stat);
    if (value === undefined) continue;
    timestamps.push(period.time);
    values.push(value);
  }
  return { timestamps, values, unit: periods[0]?.unit };
}

/** The metrics of an account and region, optionally of one namespace (and metric name): the console's metric picker. */
export async function listMetrics(
  store: Store | MetricStore,
  scope: { account: string; region: string; namespace?: string; metricName?: string },
): Promise<{ namespace: string; metricName: string; dimensions: Dimension[]; lastMinute: number }[]> {
  const metrics = store instanceof MetricStore ? store : new MetricStore(store);
  const series = await metrics.listSeries(scope, scope.namespace, scope.metricName);
  return series.map((s) => ({ namespace: s.namespace, metricName: s.metricName, dimensions: s.dimensions, lastMinute: s.last }));
}
