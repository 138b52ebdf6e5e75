/** Charts of stored one-minute metrics (AWS/Kinesis, AWS/Firehose, what clients put), over a chosen range. */
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { scopeParams } from '../route.js';
import { html, useApi, ErrorBox, type Node } from '../ui.js';
import { Chart } from './chart.js';

export interface MetricChart {
  title: string;
  namespace: string;
  metric: string;
  /** `Name=Value,Name=Value` */
  dimensions: string;
  stat: string;
}

/** Ranges of CONSOLE-SPEC §1.3 "Monitoring", with a period that keeps a series under 1,440 points. */
export const RANGES = [
  { label: '15 min', ms: 15 * 60_000, period: 60 },
  { label: '1 h', ms: 3_600_000, period: 60 },
  { label: '6 h', ms: 6 * 3_600_000, period: 60 },
  { label: '24 h', ms: 24 * 3_600_000, period: 300 },
  { label: '14 d', ms: 14 * 24 * 3_600_000, period: 3600 },
];

interface SeriesAnswer {
  timestamps: number[];
  values: number[];
  unit?: string;
}

function OneChart({ chart, range }: { chart: MetricChart; range: (typeof RANGES)[number] }): Node {
  const load = () => {
    const to = Date.now();
    return get<SeriesAnswer>('metrics/series', { namespace: chart.namespace, metric: chart.metric, dimensions: chart.dimensions, stat: chart.stat, period: range.period, from: to - range.ms, to });
  };
  const series = useApi(load, `${JSON.stringify(chart)} ${range.label} ${scopeParams()}`, range.ms <= 3_600_000 ? 10_000 : 60_000);
  const data = series.data;
  return html`<div class="card">
    <${ErrorBox} error=${series.error} />
    <${Chart} series=${{ label: `${chart.title} (${chart.stat})`, x: (data?.timestamps ?? []).map((t) => t / 1000), ys: [{ label: chart.stat, values: data?.values ?? [] }], unit: data?.unit }} height=${180} />
    ${data && data.timestamps.length === 0 && html`<p class="muted">No data in this range.</p>`}
  </div>`;
}

export function MetricCharts({ charts }: { charts: MetricChart[] }): Node {
  const [rangeLabel, setRangeLabel] = useState('1 h');
  const range = RANGES.find((r) => r.label === rangeLabel)!;
  return html`
    <div class="row" role="radiogroup" aria-label="time range">
      ${RANGES.map((r) => html`<label><input type="radio" name="range" checked=${r.label === rangeLabel} onChange=${() => setRangeLabel(r.label)} />${r.label}</label>`)}
      <span class="muted">one-minute statistics, published every 10 s</span>
    </div>
    <div class="grid">${charts.map((chart) => html`<${OneChart} chart=${chart} range=${range} />`)}</div>`;
}
