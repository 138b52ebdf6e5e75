/** CloudWatch's limits (CONSOLE-SPEC §2.4.2, from botocore 1.43.11's model documentation). */

/** PutMetricData: MetricData + EntityMetricData metrics per call. */
export const MAX_METRICS_PER_PUT = 1000;
/** PutMetricData: distinct values of one datum's `Values`. */
export const MAX_VALUES_PER_DATUM = 150;
/** PutMetricData: request size, 1 MB for HTTP POST (after gzip is undone). */
export const MAX_PUT_BYTES = 1024 * 1024;
/** Values must lie within ±2^360; NaN and the infinities are refused. */
export const MAX_ABS_VALUE = 2 ** 360;
/** Data points may be up to two weeks old… */
export const MAX_PAST_MS = 14 * 24 * 3600_000;
/** …and up to two hours in the future. */
export const MAX_FUTURE_MS = 2 * 3600_000;
/** StorageResolution: 1 (high resolution) or 60 (standard). */
export const STORAGE_RESOLUTIONS = [1, 60];
/** ListMetrics: metrics per page. */
export const LIST_METRICS_PAGE = 500;
/** GetMetricStatistics: data points per call. */
export const MAX_STATISTICS_DATAPOINTS = 1440;
/** GetMetricData: queries per call. */
export const MAX_METRIC_DATA_QUERIES = 500;
/** GetMetricData: data points per page when MaxDatapoints is not given. */
export const DEFAULT_MAX_DATAPOINTS = 100_800;
/** Sub-minute periods high-resolution metrics allow; otherwise periods are multiples of 60. */
export const SUB_MINUTE_PERIODS = [1, 5, 10, 20, 30];
/** `Id` of a GetMetricData query. */
export const QUERY_ID_PATTERN = /^[a-z][A-Za-z0-9_]*$/;

export const isValidPeriod = (period: number) => SUB_MINUTE_PERIODS.includes(period) || (period >= 60 && period % 60 === 0);
