/** Metrics: every stored metric of the account and region (Millrace's own and what clients such as KCL put). */
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { href, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, type Node } from '../ui.js';
import { MetricCharts } from './metric-charts.js';

interface Listed {
  namespace: string;
  metricName: string;
  dimensions: Array<{ Name: string; Value: string }>;
  lastMinute: number;
}

const STATS = ['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount', 'p99'];
const dimensionText = (d: Listed['dimensions']) => d.map((x) => `${x.Name}=${x.Value}`).join(',');

export function MetricsPage({ params }: { params: URLSearchParams }): Node {
  const list = useApi(() => get<{ metrics: Listed[] }>('metrics'), `metrics ${scopeParams()}`, 30_000);
  const [filter, setFilter] = useState('');
  const [stat, setStat] = useState(params.get('stat') ?? 'Sum');
  const chosen = params.get('metric');
  const rows = (list.data?.metrics ?? []).filter((m) => `${m.namespace} ${m.metricName} ${dimensionText(m.dimensions)}`.toLowerCase().includes(filter.toLowerCase()));
  return html`
    <h1>Metrics</h1>
    <p class="muted">What Millrace publishes (AWS/Kinesis, AWS/Firehose) and what applications put with PutMetricData, as CloudWatch on this endpoint keeps it. Prometheus text: <a href="metrics">/_millrace/metrics</a>.</p>
    ${chosen &&
    html`<div class="row"><strong>${params.get('namespace')} · ${chosen}</strong> <code>${params.get('dimensions') ?? ''}</code>
        <label>Statistic <select value=${stat} onChange=${(e: Event) => setStat((e.target as HTMLSelectElement).value)}>${STATS.map((s) => html`<option>${s}</option>`)}</select></label></div>
      <${MetricCharts} charts=${[{ title: chosen, namespace: params.get('namespace') ?? '', metric: chosen, dimensions: params.get('dimensions') ?? '', stat }]} />`}
    <div class="row"><input data-filter placeholder="Filter (/)" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} aria-label="filter metrics" /></div>
    <${ErrorBox} error=${list.error} />
    ${list.data && rows.length === 0 && html`<p class="notice">No metrics yet.</p>`}
    ${rows.length > 0 &&
    html`<table aria-label="metrics"><thead><tr><th>Namespace</th><th>Metric</th><th>Dimensions</th><th>Last minute</th></tr></thead>
      <tbody>${rows.slice(0, 500).map(
        (m) => html`<tr><td>${m.namespace}</td><td><a href=${href(['metrics'], { namespace: m.namespace, metric: m.metricName, dimensions: dimensionText(m.dimensions), stat })}>${m.metricName}</a></td>
          <td class="mono">${dimensionText(m.dimensions)}</td><td>${new Date(m.lastMinute).toISOString().slice(0, 16).replace('T', ' ')}</td></tr>`,
      )}</tbody></table>`}`;
}
