/**
 * What a running Analytics job reports for Prometheus and AWS/KinesisAnalytics (dimension
 * Application): rows in and out, late rows dropped, records skipped as unparsable, and the
 * event-time watermark. The runner reports its job's running totals (the engine's
 * EngineMetrics) whenever it likes, e.g. after each batch; a job restarted from a checkpoint
 * starts its totals at zero again, which is folded in here so the counters never go backwards.
 *
 * AWS/KinesisAnalytics names (numRecordsIn, numRecordsOut, numLateRecordsDropped,
 * currentOutputWatermark): Managed Service for Apache Flink's metric list (UNVERIFIED here:
 * ANALYTICS-SPEC does not list CloudWatch metrics).
 */

/** The engine's counters as a job reports them (src/analytics/sql EngineMetrics has these fields). */
export interface JobTotals {
  rowsIn: number;
  rowsOut: number;
  lateRowsDropped?: number;
  recordsSkipped?: number;
}

export interface ApplicationRef {
  account: string;
  region: string;
  name: string;
}

const FIELDS = ['rowsIn', 'rowsOut', 'lateRowsDropped', 'recordsSkipped'] as const;
type Field = (typeof FIELDS)[number];

export class ApplicationMetrics {
  /** Totals of earlier runs of this process, and the current run's last report. */
  private readonly base: Record<Field, number> = { rowsIn: 0, rowsOut: 0, lateRowsDropped: 0, recordsSkipped: 0 };
  private readonly last: Record<Field, number> = { rowsIn: 0, rowsOut: 0, lateRowsDropped: 0, recordsSkipped: 0 };
  /** What the CloudWatch publisher has already published. */
  readonly published: Record<Field, number> = { rowsIn: 0, rowsOut: 0, lateRowsDropped: 0, recordsSkipped: 0 };
  /** Event-time watermark (epoch ms) of the job's output, when it has one. */
  watermarkMs?: number;
  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
  ) {}

  report(totals: JobTotals, watermarkMs?: number): void {
    // A smaller rowsIn is a new run (a restart or a new start): the old run's totals are kept.
    const restarted = totals.rowsIn < this.last.rowsIn;
    for (const field of FIELDS) {
      const value = totals[field] ?? 0;
      if (restarted) this.base[field] += this.last[field];
      this.last[field] = value;
    }
    if (watermarkMs !== undefined && Number.isFinite(watermarkMs)) this.watermarkMs = watermarkMs;
  }

  total(field: Field): number {
    return this.base[field] + this.last[field];
  }
}

export class AnalyticsMetrics {
  readonly applications = new Map<string, ApplicationMetrics>();

  /** The runner's hook: one call with the job's running totals (and watermark) whenever they change. */
  report(app: ApplicationRef, totals: JobTotals, watermarkMs?: number): void {
    const key = `${app.account}/${app.region}/${app.name}`;
    let m = this.applications.get(key);
    if (!m) this.applications.set(key, (m = new ApplicationMetrics(app.account, app.region, app.name)));
    m.report(totals, watermarkMs);
  }
}
