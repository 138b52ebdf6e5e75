import { queryPeriods } from '../domain/metric-query.js';
import type { Dimension } from '../domain/metric-series.js';
import { percentileOf, statisticOf } from '../domain/statistics.js';
import type { CloudWatchContext } from '../context.js';
import { invalidParameterCombination, invalidParameterValue, invalidValue } from '../errors.js';
import { isValidPeriod, MAX_STATISTICS_DATAPOINTS } from '../limits.js';

interface Input {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
  StartTime: number;
  EndTime: number;
  Period: number;
  Statistics?: string[];
  ExtendedStatistics?: string[];
  Unit?: string;
}

/** moto's texts. */
export const NO_STATISTICS = 'Must specify either Statistics or ExtendedStatistics';
export const START_NOT_BEFORE_END = 'The parameter StartTime must be less than the parameter EndTime.';
/** UNVERIFIED texts. */
export const bothStatistics = () => invalidParameterCombination('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
export const badPeriod = () => invalidParameterValue('The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.');
/** AWS's text (recorded in users' reports of the 1,440 point limit). */
export const tooManyDatapoints = (requested: number) =>
  invalidParameterCombination(
    `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_STATISTICS_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
  );

/** CONSOLE-SPEC §2.4.2: one data point per period with data, each with the statistics asked for. */
export default async function getMetricStatistics(input: Input, context: CloudWatchContext) {
  const statistics = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if (statistics.length === 0 && extended.length === 0) throw invalidParameterCombination(NO_STATISTICS);
  if (statistics.length > 0 && extended.length > 0) throw bothStatistics();
  extended.forEach((stat, i) => {
    if (percentileOf(stat) === undefined) throw invalidValue(stat, `ExtendedStatistics.member.${i + 1}`);
  });
  if (!isValidPeriod(input.Period)) throw badPeriod();
  if (input.StartTime >= input.EndTime) throw invalidParameterValue(START_NOT_BEFORE_END);
  const requested = Math.ceil((input.EndTime - input.StartTime) / (input.Period * 1000));
  if (requested > MAX_STATISTICS_DATAPOINTS) throw tooManyDatapoints(requested);

  const periods = await queryPeriods(context.metrics, {
    account: context.account,
    region: context.region,
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions: input.Dimensions ?? [],
    start: input.StartTime,
    end: input.EndTime,
    period: input.Period,
    unit: input.Unit,
  });
  return {
    Label: input.MetricName,
    Datapoints: periods.map((period) => {
      const point: Record<string, unknown> = { Timestamp: new Date(period.time) };
      for (const stat of statistics) point[stat] = statisticOf(period.cell, stat);
      if (extended.length) {
        const values: Record<string, number> = {};
        for (const stat of extended) {
          const value = statisticOf(period.cell, stat);
          if (value !== undefined) values[stat] = value;
        }
        point.ExtendedStatistics = values;
      }
      point.Unit = period.unit;
      return point;
    }),
  };
}
