import { createHash } from 'node:crypto';

/**
 * A CloudWatch metric as it is identified (CONSOLE-SPEC §2.4.2): namespace, name and its exact set
 * of dimensions; CloudWatch treats each combination of dimensions as a metric of its own.
 */
export interface Dimension {
  Name: string;
  Value: string;
}

export interface MetricId {
  namespace: string;
  metricName: string;
  /** Sorted by name: the same set in any order is the same metric. */
  dimensions: Dimension[];
}

/** Where metrics are kept: isolated per account and region, as everything else. */
export interface MetricScope {
  account: string;
  region: string;
}

/** The stored document of a metric: what ListMetrics lists. */
export interface SeriesDoc {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  /** Start (epoch ms) of the newest minute that has data: ListMetrics' RecentlyActive and retention. */
  last: number;
}

/** Data points are aggregated per minute: AWS's one-minute resolution (§2.4.2). */
export const MINUTE_MS = 60_000;
/** One-minute aggregates are kept 14 days (ISSUE-18 §5; the Kinesis guide's two weeks, §2.1). */
export const RETENTION_MS = 14 * 24 * 3600_000;
/** One stored document holds an hour of minutes of one metric. */
export const HOUR_MS = 3600_000;

export const sortedDimensions = (dimensions: readonly Dimension[] | undefined): Dimension[] =>
  [...(dimensions ?? [])].map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));

/** A short stable id of one metric in one scope, for its data keys. */
export function seriesHash(scope: MetricScope, metric: MetricId): string {
  const hash = createHash('sha256');
  hash.update(`${scope.account}\u0000${scope.region}\u0000${metric.namespace}\u0000${metric.metricName}`);
  for (const d of metric.dimensions) hash.update(`\u0000${d.Name}\u0001${d.Value}`);
  return hash.digest('hex').slice(0, 32);
}

const enc = encodeURIComponent;
/** Series keys sort by namespace, then metric name: ListMetrics filters on both by prefix. */
export const seriesPrefix = (scope: MetricScope, namespace?: string, metricName?: string) =>
  `cloudwatch/series/${scope.account}/${scope.region}/` +
  (namespace === undefined ? '' : `${enc(namespace)}/` + (metricName === undefined ? '' : `${enc(metricName)}/`));
export const seriesKey = (scope: MetricScope, metric: MetricId, hash = seriesHash(scope, metric)) =>
  `${seriesPrefix(scope, metric.namespace, metric.metricName)}${hash}`;
export const SERIES_ROOT = 'cloudwatch/series/';

/** Hour documents of one metric: `cloudwatch/data/{hash}/{hour start, 13 digits}`, in time order. */
export const dataPrefix = (hash: string) => `cloudwatch/data/${hash}/`;
export const dataKey = (hash: string, hourStart: number) => `${dataPrefix(hash)}${String(hourStart).padStart(13, '0')}`;
export const hourOfKey = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));
