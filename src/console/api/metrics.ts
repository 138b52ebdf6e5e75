import { MAX_PAST_MS, MAX_STATISTICS_DATAPOINTS, isValidPeriod } from '../../cloudwatch/limits.js';
import { listMetrics, queryMetric } from '../../cloudwatch/domain/metric-query.js';
import { isKnownStat } from '../../cloudwatch/domain/statistics.js';
import type { Dimension } from '../../cloudwatch/domain/metric-series.js';
import type { ConsoleDeps } from '../deps.js';
import { badParameter } from './errors.js';
import { integer, text, type ConsoleScope } from './params.js';

/**
 * Metric series for the console's charts (CONSOLE-SPEC §1.3 "Monitoring"), read through the same
 * query as GetMetricStatistics (cloudwatch/domain/metric-query.ts): Millrace's own AWS/Kinesis and
 * AWS/Firehose metrics and whatever clients put (KCL, KPL), one-minute aggregates kept 14 days.
 */

/** Dimensions a metric has at most (CloudWatch's limit is 30). */
const MAX_DIMENSIONS = 30;

/** `dimensions=Name=Value,Name=Value` (names and values without commas). */
function dimensionsOf(textValue: string | undefined): Dimension[] {
  if (textValue === undefined) return [];
  const dimensions = textValue.split(',').map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw badParameter(`dimensions must be Name=Value pairs separated by commas, got ${JSON.stringify(textValue.slice(0, 80))}`);
    return { Name: pair.slice(0, at), Value: pair.slice(at + 1) };
  });
  if (dimensions.length > MAX_DIMENSIONS) throw badParameter(`at most ${MAX_DIMENSIONS} dimensions`);
  return dimensions;
}

/** `GET /api/v1/metrics/series?namespace=&metric=&dimensions=&stat=&period=&from=&to=` (times epoch ms). */
export async function metricSeries(deps: ConsoleDeps, scope: ConsoleScope, url: URL) {
  const namespace = text(url, 'namespace', 255);
  const metricName = text(url, 'metric', 255);
  if (!namespace || !metricName) throw badParameter('namespace and metric are required');
  const stat = text(url, 'stat', 16) ?? 'Sum';
  if (!isKnownStat(stat)) throw badParameter(`stat must be SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p99, got ${JSON.stringify(stat)}`);
  const period = integer(url, 'period', 1, 86_400, 60);
  if (!isValidPeriod(period)) throw badParameter(`period must be 1, 5, 10, 20, 30 or a multiple of 60 seconds, got ${period}`);
  const now = Date.now();
  const to = integer(url, 'to', 0, 8.64e15, now);
  const from = integer(url, 'from', 0, 8.64e15, to - 3_600_000);
  if (from >= to) throw badParameter('from must be before to');
  if (now - from > MAX_PAST_MS + 60_000) throw badParameter('metrics are kept 14 days: from is older');
  const points = Math.ceil((to - from) / (Math.max(period, 60) * 1000));
  if (points > MAX_STATISTICS_DATAPOINTS) throw badParameter(`at most ${MAX_STATISTICS_DATAPOINTS} points a series: choose a longer period`);
  const series = await queryMetric(deps.kinesis.store, {
    ...scope,
    namespace,
    metricName,
    dimensions: dimensionsOf(text(url, 'dimensions', 4096)),
    start: from,
    end: to,
    period,
    stat,
  });
  return { namespace, metricName, stat, period, from, to, ...series };
}

/** `GET /api/v1/metrics?namespace=`: the metrics of the scope (the console's metric picker). */
export async function metricList(deps: ConsoleDeps, scope: ConsoleScope, url: URL) {
  return { metrics: await listMetrics(deps.kinesis.store, { ...scope, namespace: text(url, 'namespace', 255) }) };
}
