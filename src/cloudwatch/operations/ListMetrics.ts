import { MINUTE_MS, RETENTION_MS } from '../domain/metric-series.js';
import type { CloudWatchContext } from '../context.js';
import { invalidParameterValue } from '../errors.js';
import { LIST_METRICS_PAGE } from '../limits.js';
import { pageToken, readPageToken } from '../page-token.js';

interface Input {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value?: string }[];
  NextToken?: string;
  RecentlyActive?: 'PT3H';
}

/** RecentlyActive's one value: data in the past three hours. */
const RECENTLY_ACTIVE_MS = 3 * 3600_000;

/** moto's text for a token it did not issue. */
export const badListToken = () => invalidParameterValue('Request parameter NextToken is invalid');

/** CONSOLE-SPEC §2.4.2: metrics with data in the past two weeks, 500 a page, filtered by namespace, name and dimensions. */
export default async function listMetrics(input: Input, context: CloudWatchContext) {
  const now = context.now();
  const since = input.RecentlyActive ? now - RECENTLY_ACTIVE_MS : now - RETENTION_MS;
  const filters = input.Dimensions ?? [];
  const all = (await context.metrics.listSeries(context, input.Namespace, input.MetricName)).filter(
    (s) =>
      s.last + MINUTE_MS > since &&
      (input.MetricName === undefined || s.metricName === input.MetricName) &&
      filters.every((f) => s.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))),
  );
  const filterKey = JSON.stringify([input.Namespace, input.MetricName, filters, input.RecentlyActive]);
  const from = input.NextToken === undefined ? 0 : readPageToken(input.NextToken, filterKey, badListToken);
  const page = all.slice(from, from + LIST_METRICS_PAGE);
  return {
    Metrics: page.map((s) => ({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions })),
    NextToken: from + LIST_METRICS_PAGE < all.length ? pageToken(from + LIST_METRICS_PAGE, filterKey) : undefined,
  };
}
