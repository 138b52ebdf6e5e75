import type { Sample } from '../domain/aggregate.js';
import type { MetricEntry } from '../domain/metric-store.js';
import type { Dimension } from '../domain/metric-series.js';
import type { CloudWatchContext } from '../context.js';
import { collectionTooLarge, invalidParameterCombination, invalidParameterValue, invalidValue, missingParameter } from '../errors.js';
import { MAX_ABS_VALUE, MAX_FUTURE_MS, MAX_METRICS_PER_PUT, MAX_PAST_MS, MAX_VALUES_PER_DATUM, STORAGE_RESOLUTIONS } from '../limits.js';

interface Datum {
  MetricName: string;
  Dimensions?: Dimension[];
  Timestamp?: number;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

interface Input {
  Namespace: string;
  MetricData?: Datum[];
  EntityMetricData?: { MetricData?: Datum[] }[];
}

/** Namespaces starting so belong to AWS services (moto's text for the refusal). */
const RESERVED_NAMESPACE = 'AWS/';

/** UNVERIFIED texts: AWS's wording for these refusals is not recorded. */
export const timestampTooOld = (path: string) => invalidParameterValue(`The parameter ${path} must specify a time no more than two weeks in the past.`);
export const timestampInFuture = (path: string) => invalidParameterValue(`The parameter ${path} must specify a time no more than two hours in the future.`);
export const noValue = (path: string) =>
  invalidParameterCombination(`At least one of the parameters ${path}.Value, ${path}.Values or ${path}.StatisticValues must be specified.`);

const exclusive = (path: string, a: string, b: string) =>
  invalidParameterCombination(`The parameters ${path}.${a} and ${path}.${b} are mutually exclusive and you have specified both.`);

/** CONSOLE-SPEC §2.4.2 and §3.3: values, value lists and statistic sets alike become one-minute aggregates. */
export default async function putMetricData(input: Input, context: CloudWatchContext) {
  if (input.Namespace.startsWith(RESERVED_NAMESPACE)) throw invalidParameterValue(`The value ${RESERVED_NAMESPACE} for parameter Namespace is invalid.`);
  const data: { datum: Datum; path: string }[] = (input.MetricData ?? []).map((datum, i) => ({ datum, path: `MetricData.member.${i + 1}` }));
  (input.EntityMetricData ?? []).forEach((entity, e) =>
    (entity.MetricData ?? []).forEach((datum, i) => data.push({ datum, path: `EntityMetricData.member.${e + 1}.MetricData.member.${i + 1}` })),
  );
  if (data.length === 0) throw missingParameter('MetricData');
  if (data.length > MAX_METRICS_PER_PUT) throw collectionTooLarge('MetricData', MAX_METRICS_PER_PUT);
  const now = context.now();
  const entries: MetricEntry[] = data.map(({ datum, path }) => ({
    metric: { namespace: input.Namespace, metricName: datum.MetricName, dimensions: datum.Dimensions ?? [] },
    timestamp: checkedTimestamp(datum.Timestamp, now, `${path}.Timestamp`),
    unit: datum.Unit ?? 'None',
    sample: sampleOf(datum, path),
  }));
  await context.metrics.put(context, entries);
  return undefined;
}

function checkedTimestamp(timestamp: number | undefined, now: number, path: string): number {
  if (timestamp === undefined) return now;
  if (timestamp < now - MAX_PAST_MS) throw timestampTooOld(path);
  if (timestamp > now + MAX_FUTURE_MS) throw timestampInFuture(path);
  return timestamp;
}

function checkedValue(value: number, path: string): number {
  if (!Number.isFinite(value) || Math.abs(value) > MAX_ABS_VALUE) throw invalidValue(value, path);
  return value;
}

function sampleOf(datum: Datum, path: string): Sample {
  const { Value, Values, Counts, StatisticValues, StorageResolution } = datum;
  if (StorageResolution !== undefined && !STORAGE_RESOLUTIONS.includes(StorageResolution)) {
    throw invalidValue(StorageResolution, `${path}.StorageResolution`);
  }
  const hasValues = Values !== undefined && Values.length > 0;
  if (Value !== undefined && hasValues) throw exclusive(path, 'Value', 'Values');
  if (Value !== undefined && StatisticValues) throw exclusive(path, 'Value', 'StatisticValues');
  if (hasValues && StatisticValues) throw exclusive(path, 'Values', 'StatisticValues');
  if (Value !== undefined) return { kind: 'values', values: [checkedValue(Value, `${path}.Value`)], counts: [1] };
  if (hasValues) {
    if (Values.length > MAX_VALUES_PER_DATUM) throw collectionTooLarge(`${path}.Values`, MAX_VALUES_PER_DATUM);
    if (Counts !== undefined && Counts.length > 0 && Counts.length !== Values.length) {
      throw invalidParameterValue(`The parameters ${path}.Values and ${path}.Counts must be of the same size.`);
    }
    const counts = Counts?.length ? Counts.map((c, i) => checkedCount(c, `${path}.Counts.member.${i + 1}`)) : Values.map(() => 1);
    return { kind: 'values', values: Values.map((v, i) => checkedValue(v, `${path}.Values.member.${i + 1}`)), counts };
  }
  if (StatisticValues) {
    const set = `${path}.StatisticValues`;
    return {
      kind: 'set',
      sampleCount: checkedCount(StatisticValues.SampleCount, `${set}.SampleCount`),
      sum: checkedValue(StatisticValues.Sum, `${set}.Sum`),
      min: checkedValue(StatisticValues.Minimum, `${set}.Minimum`),
      max: checkedValue(StatisticValues.Maximum, `${set}.Maximum`),
    };
  }
  throw noValue(path);
}

function checkedCount(count: number, path: string): number {
  if (!Number.isFinite(count) || count < 0) throw invalidValue(count, path);
  return count;
}
