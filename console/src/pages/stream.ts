/** One stream: its tabs (CONSOLE-SPEC §1.3 "Stream › …"), each a URL of its own. */
import { get, type ServerInfo, type StreamDetail } from '../api.js';
import { fmtTime } from '../format.js';
import { href, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, Status, type Node } from '../ui.js';
import { ShardsTab } from './shards.js';
import { DataTab } from './data.js';
import { TailTab } from './tail.js';
import { ProduceTab } from './produce.js';
import { MonitoringTab } from './monitoring.js';
import { MetricCharts } from './metric-charts.js';

const TABS = [
  ['overview', 'Configuration'],
  ['shards', 'Shards'],
  ['data', 'Data viewer'],
  ['tail', 'Live tail'],
  ['produce', 'Produce'],
  ['consumers', 'Consumers'],
  ['monitoring', 'Monitoring'],
] as const;

export const DETAIL_POLL_MS = 2_000;

export function StreamPage({ info, name, tab, params }: { info: ServerInfo; name: string; tab: string; params: URLSearchParams }): Node {
  const detail = useApi(() => get<StreamDetail>(`streams/${encodeURIComponent(name)}`), `stream ${name} ${scopeParams()}`, tab === 'shards' || tab === 'monitoring' || tab === 'overview' ? DETAIL_POLL_MS : undefined);
  const stream = detail.data;
  const writable = !info.readOnly;
  let body: Node = null;
  if (stream) {
    if (tab === 'overview') body = html`<${Overview} stream=${stream} />`;
    else if (tab === 'shards') body = html`<${ShardsTab} stream=${stream} writable=${writable} reload=${detail.reload} />`;
    else if (tab === 'data') body = html`<${DataTab} stream=${stream} params=${params} writable=${writable} />`;
    else if (tab === 'tail') body = html`<${TailTab} stream=${stream} />`;
    else if (tab === 'produce') body = writable ? html`<${ProduceTab} stream=${stream} params=${params} />` : html`<p class="notice">The console is read-only.</p>`;
    else if (tab === 'consumers') body = html`<${Consumers} stream=${stream} />`;
    else if (tab === 'monitoring') body = html`<${MonitoringTab} stream=${stream} />`;
  }
  return html`
    <p class="muted"><a href=${href(['streams'])}>Streams</a> ›</p>
    <h1>${name} ${stream && html`<${Status} value=${stream.status} />`}</h1>
    <${ErrorBox} error=${detail.error} />
    <nav class="tabs" aria-label="stream views">
      ${TABS.filter(([key]) => writable || key !== 'produce').map(([key, label]) => html`<a href=${href(['streams', name, key])} aria-current=${key === tab ? 'page' : undefined}>${label}</a>`)}
    </nav>
    ${body}`;
}

function Overview({ stream }: { stream: StreamDetail }): Node {
  const open = stream.shards.filter((s) => s.open).length;
  return html`<div class="grid">
    <div class="card"><dl class="kv">
      <dt>ARN</dt><dd><code>${stream.arn}</code></dd>
      <dt>Status</dt><dd><${Status} value=${stream.status} />${stream.pending ? ` (${stream.pending})` : ''}</dd>
      <dt>Capacity mode</dt><dd>${stream.mode}</dd>
      <dt>Open shards</dt><dd>${open} (${stream.shards.length} visible)</dd>
      <dt>Retention</dt><dd>${stream.retentionHours} hours</dd>
      <dt>Encryption</dt><dd>${stream.encryption.type}${stream.encryption.keyId ? ` (${stream.encryption.keyId})` : ''}</dd>
      <dt>Enhanced monitoring</dt><dd>${stream.shardLevelMetrics.length ? stream.shardLevelMetrics.join(', ') : 'none'}</dd>
      <dt>Max record size</dt><dd>${stream.maxRecordSizeKiB} KiB</dd>
      ${stream.warmThroughputMiBps !== undefined && html`<dt>Warm throughput</dt><dd>${stream.warmThroughputMiBps} MiB/s</dd>`}
      <dt>Created</dt><dd>${fmtTime(stream.createdAt)}</dd>
      <dt>Consumers</dt><dd>${stream.consumers.length}</dd>
    </dl></div>
    <div class="card">
      <h3>Tags</h3>
      ${Object.keys(stream.tags).length === 0 ? html`<p class="muted">none</p>` : html`<dl class="kv">${Object.entries(stream.tags).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`}
      <h3>Resource policy</h3>
      ${stream.policy ? html`<pre>${JSON.stringify(JSON.parse(stream.policy), null, 2)}</pre>` : html`<p class="muted">none</p>`}
    </div>
  </div>`;
}

function Consumers({ stream }: { stream: StreamDetail }): Node {
  if (stream.consumers.length === 0) return html`<p class="notice">No enhanced fan-out consumers. Register one with <code>aws kinesis register-stream-consumer --stream-arn ${stream.arn} --consumer-name app</code>.</p>`;
  return html`<table>
    <thead><tr><th>Consumer</th><th>Status</th><th>Registered</th><th>Subscribed shards (since)</th></tr></thead>
    <tbody>${stream.consumers.map(
      (c) => html`<tr><td><code>${c.ConsumerName}</code><div class="muted mono">${c.ConsumerARN}</div></td><td><${Status} value=${c.ConsumerStatus} /></td>
        <td>${fmtTime(c.ConsumerCreationTimestamp)}</td>
        <td>${c.subscriptions.length === 0 ? html`<span class="muted">none</span>` : c.subscriptions.map((s) => html`<div><code>${s.shardId}</code> <span class="muted">${fmtTime(s.since)}</span></div>`)}</td></tr>`,
    )}</tbody>
  </table>
  <h2>Lag in time</h2>
  <p class="muted">How far behind the newest record each consumer's subscriptions were (MillisBehindLatest), and what they received.</p>
  <${MetricCharts} charts=${stream.consumers.flatMap((c) => [
    { title: `${c.ConsumerName}: MillisBehindLatest`, namespace: 'AWS/Kinesis', metric: 'SubscribeToShardEvent.MillisBehindLatest', dimensions: `StreamName=${stream.name},ConsumerName=${c.ConsumerName}`, stat: 'Maximum' },
    { title: `${c.ConsumerName}: records`, namespace: 'AWS/Kinesis', metric: 'SubscribeToShardEvent.Records', dimensions: `StreamName=${stream.name},ConsumerName=${c.ConsumerName}`, stat: 'Sum' },
  ])} />`;
}
