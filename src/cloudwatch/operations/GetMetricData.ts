import { queryMetric } from '../domain/metric-query.js';
import { evaluate, ExpressionError, idsOf, parseExpression, type Series } from '../domain/metric-math.js';
import type { Dimension } from '../domain/metric-series.js';
import { isKnownStat } from '../domain/statistics.js';
import type { CloudWatchContext } from '../context.js';
import { invalidNextToken, missingParameter, validationError } from '../errors.js';
import { DEFAULT_MAX_DATAPOINTS, isValidPeriod, MAX_METRIC_DATA_QUERIES, QUERY_ID_PATTERN } from '../limits.js';
import { pageToken, readPageToken } from '../page-token.js';

interface Query {
  Id: string;
  MetricStat?: { Metric: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] }; Period: number; Stat: string; Unit?: string };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
}

interface Input {
  MetricDataQueries: Query[];
  StartTime: number;
  EndTime: number;
  NextToken?: string;
  ScanBy?: 'TimestampDescending' | 'TimestampAscending';
  MaxDatapoints?: number;
}

/** moto's texts (it notes AWS's trailing newline on the first). */
export const metricStatRequired = (n: number) => validationError(`The parameter MetricDataQueries.member.${n}.MetricStat is required.\n`);
export const END_NOT_AFTER_START = 'The parameter EndTime must be greater than StartTime.';
export const START_EQUALS_END = 'The parameter StartTime must not equal parameter EndTime.';
/** UNVERIFIED texts. */
export const invalidQueryValue = (value: unknown, path: string) => validationError(`The value ${String(value)} for parameter ${path} is invalid.`);
export const duplicateId = (id: string) => validationError(`The value ${id} for parameter MetricDataQueries.member.Id is duplicated.`);
export const unknownId = (id: string, n: number) => validationError(`Error in expression '${n}': Unrecognized metric '${id}'`);

/** CONSOLE-SPEC §2.4.2: up to 500 queries, each a metric statistic or arithmetic over others. */
export default async function getMetricData(input: Input, context: CloudWatchContext) {
  const queries = input.MetricDataQueries;
  if (queries.length === 0) throw missingParameter('MetricDataQueries');
  if (queries.length > MAX_METRIC_DATA_QUERIES) throw validationError(`The collection MetricDataQueries must not have a size greater than ${MAX_METRIC_DATA_QUERIES}.`);
  if (input.StartTime > input.EndTime) throw validationError(END_NOT_AFTER_START);
  if (input.StartTime === input.EndTime) throw validationError(START_EQUALS_END);
  const ids = new Set<string>();
  queries.forEach((q, i) => {
    const path = `MetricDataQueries.member.${i + 1}`;
    if (!QUERY_ID_PATTERN.test(q.Id)) throw invalidQueryValue(q.Id, `${path}.Id`);
    if (ids.has(q.Id)) throw duplicateId(q.Id);
    ids.add(q.Id);
    if (!q.MetricStat && q.Expression === undefined) throw metricStatRequired(i + 1);
    if (q.MetricStat) {
      const stat = q.MetricStat;
      if (stat.Metric.Namespace === undefined) throw missingParameter(`${path}.MetricStat.Metric.Namespace`);
      if (stat.Metric.MetricName === undefined) throw missingParameter(`${path}.MetricStat.Metric.MetricName`);
      if (!isValidPeriod(stat.Period)) throw invalidQueryValue(stat.Period, `${path}.MetricStat.Period`);
      if (!isKnownStat(stat.Stat)) throw invalidQueryValue(stat.Stat, `${path}.MetricStat.Stat`);
    }
  });

  const results = new Map<string, Series>();
  // Statistics first, then expressions in order: an expression reads queries listed before it or statistics.
  await Promise.all(
    queries
      .filter((q) => q.MetricStat)
      .map(async (q) => {
        const stat = q.MetricStat!;
        const series = await queryMetric(context.metrics, {
          account: context.account,
          region: context.region,
          namespace: stat.Metric.Namespace!,
          metricName: stat.Metric.MetricName!,
          dimensions: stat.Metric.Dimensions ?? [],
          start: input.StartTime,
          end: input.EndTime,
          period: stat.Period,
          stat: stat.Stat,
          unit: stat.Unit,
        });
        results.set(q.Id, series);
      }),
  );
  queries.forEach((q, i) => {
    if (q.MetricStat) return;
    let tree;
    try {
      tree = parseExpression(q.Expression!);
    } catch (err) {
      if (err instanceof ExpressionError) throw invalidQueryValue(q.Expression, `MetricDataQueries.member.${i + 1}.Expression`);
      throw err;
    }
    for (const id of idsOf(tree)) if (!results.has(id)) throw unknownId(id, i + 1);
    const value = evaluate(tree, (id) => results.get(id)!);
    results.set(q.Id, typeof value === 'number' ? { timestamps: [], values: [] } : value);
  });

  const returned = queries.filter((q) => q.ReturnData !== false);
  const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
  const binding = JSON.stringify([queries, input.StartTime, input.EndTime, input.ScanBy]);
  const offsets = input.NextToken === undefined ? returned.map(() => 0) : readPageToken<number[]>(input.NextToken, binding, () => invalidNextToken());
  if (offsets.length !== returned.length) throw invalidNextToken();
  let budget = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  let more = false;
  const next: number[] = [];
  const MetricDataResults = returned.map((q, i) => {
    const series = results.get(q.Id)!;
    const order = series.timestamps.map((_, k) => k);
    if (descending) order.reverse();
    const from = offsets[i];
    const take = Math.max(0, Math.min(order.length - from, budget));
    budget -= take;
    const picked = order.slice(from, from + take);
    const partial = from + take < order.length;
    if (partial) more = true;
    next.push(from + take);
    return {
      Id: q.Id,
      Label: q.Label ?? q.MetricStat?.Metric.MetricName ?? q.Id,
      Timestamps: picked.map((k) => new Date(series.timestamps[k])),
      Values: picked.map((k) => series.values[k]),
      StatusCode: partial ? 'PartialData' : 'Complete',
    };
  });
  return { MetricDataResults, NextToken: more ? pageToken(next, binding) : undefined, Messages: [] };
}
