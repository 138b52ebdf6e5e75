import type { MetadataStore, Store } from '../../store/store.js';
import { cellKey, cellOf, copyCell, mergeCell, parseCellKey, type Cell, type HourDoc, type Sample } from './aggregate.js';
import {
  dataKey,
  dataPrefix,
  hourOfKey,
  HOUR_MS,
  MINUTE_MS,
  RETENTION_MS,
  seriesHash,
  seriesKey,
  seriesPrefix,
  SERIES_ROOT,
  sortedDimensions,
  type Dimension,
  type MetricId,
  type MetricScope,
  type SeriesDoc,
} from './metric-series.js';

/** One datum on its way into the store. */
export interface MetricEntry {
  metric: MetricId;
  /** Epoch ms; aggregated into its minute. */
  timestamp: number;
  unit: string;
  sample: Sample;
}

/** One stored minute of a metric. */
export interface StoredMinute {
  /** Start of the minute, epoch ms. */
  time: number;
  unit: string;
  cell: Cell;
}

/** Ranges up to this many hours are read document by document; longer ones list the metric's documents. */
const MAX_HOURS_READ_ONE_BY_ONE = 48;

/**
 * CloudWatch metrics in the store's MetadataStore: one document per metric (ListMetrics) and one
 * per metric-hour holding its one-minute aggregates (GetMetricStatistics, GetMetricData, the
 * console's charts). Writes merge into the stored aggregates with compare-and-set, so every node
 * of a shared store adds to the same minutes and nothing lives only in one process.
 */
export class MetricStore {
  private readonly meta: MetadataStore;

  constructor(store: Store) {
    this.meta = store.meta;
  }

  /** Adds data points (merged per metric, hour and minute first, so one write per metric-hour). */
  async put(scope: MetricScope, entries: readonly MetricEntry[]): Promise<void> {
    const hours = new Map<string, { hash: string; metric: MetricId; hour: number; cells: Map<string, Cell> }>();
    const newest = new Map<string, { metric: MetricId; hash: string; last: number }>();
    for (const entry of entries) {
      const metric = { ...entry.metric, dimensions: sortedDimensions(entry.metric.dimensions) };
      const hash = seriesHash(scope, metric);
      const minuteStart = Math.floor(entry.timestamp / MINUTE_MS) * MINUTE_MS;
      const hour = Math.floor(minuteStart / HOUR_MS) * HOUR_MS;
      const key = dataKey(hash, hour);
      let pending = hours.get(key);
      if (!pending) hours.set(key, (pending = { hash, metric, hour, cells: new Map() }));
      const ck = cellKey((minuteStart - hour) / MINUTE_MS, entry.unit);
      const cell = cellOf(entry.sample);
      const existing = pending.cells.get(ck);
      if (existing) mergeCell(existing, cell);
      else pending.cells.set(ck, cell);
      const seen = newest.get(hash);
      if (!seen || seen.last < minuteStart) newest.set(hash, { metric, hash, last: minuteStart });
    }
    await Promise.all([...hours].map(([key, pending]) => this.mergeHour(key, pending.cells)));
    await Promise.all([...newest.values()].map((s) => this.touchSeries(scope, s.metric, s.hash, s.last)));
  }

  private async mergeHour(key: string, cells: Map<string, Cell>): Promise<void> {
    for (;;) {
      const current = await this.meta.get<HourDoc>(key);
      const doc: HourDoc = { cells: { ...current?.value.cells } };
      for (const [ck, cell] of cells) {
        const stored = doc.cells[ck];
        if (stored) {
          const merged = copyCell(stored);
          mergeCell(merged, cell);
          doc.cells[ck] = merged;
        } else doc.cells[ck] = cell;
      }
      if ((await this.meta.put(key, doc, current?.revision ?? 0)) !== undefined) return;
    }
  }

  /** Records that a metric has data up to `last`; written only when that moves forward. */
  private async touchSeries(scope: MetricScope, metric: MetricId, hash: string, last: number): Promise<void> {
    const key = seriesKey(scope, metric, hash);
    for (;;) {
      const current = await this.meta.get<SeriesDoc>(key);
      if (current && current.value.last >= last) return;
      const doc: SeriesDoc = { namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions, last };
      if ((await this.meta.put(key, doc, current?.revision ?? 0)) !== undefined) return;
    }
  }

  /** The metrics of a scope, optionally of one namespace and name, in key order. */
  async listSeries(scope: MetricScope, namespace?: string, metricName?: string): Promise<SeriesDoc[]> {
    const entries = await this.meta.list<SeriesDoc>(seriesPrefix(scope, namespace, namespace === undefined ? undefined : metricName));
    return entries.map((e) => e.value);
  }

  /** The stored minutes of one metric in [start, end), in time order. */
  async read(scope: MetricScope, metric: MetricId, start: number, end: number): Promise<StoredMinute[]> {
    const hash = seriesHash(scope, { ...metric, dimensions: sortedDimensions(metric.dimensions) });
    const firstHour = Math.floor(start / HOUR_MS) * HOUR_MS;
    const docs: { hour: number; doc: HourDoc }[] = [];
    if ((end - firstHour) / HOUR_MS <= MAX_HOURS_READ_ONE_BY_ONE) {
      const hours: number[] = [];
      for (let hour = firstHour; hour < end; hour += HOUR_MS) hours.push(hour);
      const found = await Promise.all(hours.map((hour) => this.meta.get<HourDoc>(dataKey(hash, hour))));
      found.forEach((entry, i) => entry && docs.push({ hour: hours[i], doc: entry.value }));
    } else {
      for (const entry of await this.meta.list<HourDoc>(dataPrefix(hash))) {
        const hour = hourOfKey(entry.key);
        if (hour + HOUR_MS > start && hour < end) docs.push({ hour, doc: entry.value });
      }
    }
    const minutes: StoredMinute[] = [];
    for (const { hour, doc } of docs) {
      for (const [ck, cell] of Object.entries(doc.cells)) {
        const { minute, unit } = parseCellKey(ck);
        const time = hour + minute * MINUTE_MS;
        if (time >= start && time < end) minutes.push({ time, unit, cell });
      }
    }
    return minutes.sort((a, b) => a.time - b.time);
  }

  /** Deletes what is older than the retention (14 days): hour documents, then metrics left without data. */
  async sweep(now = Date.now()): Promise<{ hours: number; series: number }> {
    const cutoff = now - RETENTION_MS;
    let hours = 0;
    let series = 0;
    for (const entry of await this.meta.list<SeriesDoc>(SERIES_ROOT)) {
      const scope = scopeOfSeriesKey(entry.key);
      const hash = seriesHash(scope, entry.value);
      for (const data of await this.meta.list<HourDoc>(dataPrefix(hash))) {
        if (hourOfKey(data.key) + HOUR_MS > cutoff) break; // in time order: the rest are newer
        if (await this.meta.delete(data.key, data.revision)) hours++;
      }
      if (entry.value.last + MINUTE_MS <= cutoff && (await this.meta.delete(entry.key, entry.revision))) series++;
    }
    return { hours, series };
  }
}

function scopeOfSeriesKey(key: string): MetricScope {
  const [, , account, region] = key.split('/');
  return { account, region };
}

export type { Dimension, MetricId, MetricScope, SeriesDoc };
