/** Firehose: delivery streams with status, buffers and counters; one stream's delivered objects. */
import { get, apiUrl, type ServerInfo } from '../api.js';
import { fmtBytes, fmtTime } from '../format.js';
import { href, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, Status, JsonTree, type Node } from '../ui.js';
import { MetricCharts } from './metric-charts.js';

interface DeliveryCounter {
  bytes: number;
  records: number;
  attempts: number;
  successes: number;
  dataFreshnessMs: number;
}

interface DeliveryStream {
  name: string;
  arn: string;
  status: string;
  type: string;
  destination: string;
  version: number;
  createdAt: number;
  buffering: { sizeBytes: number; intervalMs: number };
  s3?: { bucket: string; prefix: string };
  buffer: { ingested: number; delivered: number; waiting: number };
  metrics?: { IncomingRecords: number; IncomingBytes: number; DeliveryToS3: DeliveryCounter; DeliveryToHttpEndpoint: DeliveryCounter; [k: string]: unknown };
  destinationDescription?: unknown;
  failure?: { Type: string; Details: string };
}

export const POLL_MS = 2_000;

export function FirehosePage({ info: _info, name }: { info: ServerInfo; name?: string }): Node {
  return name ? html`<${DeliveryStreamPage} name=${name} />` : html`<${DeliveryStreamList} />`;
}

function delivered(m: DeliveryStream['metrics']): DeliveryCounter | undefined {
  if (!m) return undefined;
  for (const key of ['DeliveryToS3', 'DeliveryToHttpEndpoint', 'DeliveryToAmazonOpenSearchService', 'DeliveryToSplunk']) {
    const c = m[key] as DeliveryCounter | undefined;
    if (c && c.attempts > 0) return c;
  }
  return m.DeliveryToS3;
}

function DeliveryStreamList(): Node {
  const list = useApi(() => get<{ deliveryStreams: DeliveryStream[] }>('firehose'), `firehose ${scopeParams()}`, POLL_MS);
  const rows = list.data?.deliveryStreams ?? [];
  return html`
    <h1>Firehose delivery streams</h1>
    <${ErrorBox} error=${list.error} />
    ${list.data && rows.length === 0 && html`<p class="notice">No delivery streams in this account and region.</p>`}
    ${rows.length > 0 &&
    html`<table>
      <thead><tr><th>Name</th><th>Status</th><th>Source</th><th>Destination</th><th class="num">Taken in</th><th class="num">Waiting in buffers</th><th class="num">Delivered records</th><th class="num">Attempts (ok)</th></tr></thead>
      <tbody>${rows.map((d) => {
        const c = delivered(d.metrics);
        return html`<tr data-delivery-stream=${d.name}><td><a href=${href(['firehose', d.name])}>${d.name}</a></td><td><${Status} value=${d.status} /></td><td>${d.type}</td><td>${d.destination}</td>
          <td class="num">${d.buffer.ingested.toLocaleString()}</td><td class="num">${d.buffer.waiting.toLocaleString()}</td>
          <td class="num">${c ? c.records.toLocaleString() : '–'}</td><td class="num">${c ? `${c.attempts} (${c.successes})` : '–'}</td></tr>`;
      })}</tbody>
    </table>`}`;
}

function DeliveryStreamPage({ name }: { name: string }): Node {
  const detail = useApi(() => get<DeliveryStream>(`firehose/${encodeURIComponent(name)}`), `firehose ${name} ${scopeParams()}`, POLL_MS);
  const objects = useApi(
    () => get<{ bucket?: string; prefix?: string; objects: Array<{ key: string; size: number; lastModified: number }>; truncated: boolean; missingBucket?: boolean }>(`firehose/${encodeURIComponent(name)}/objects`, { limit: 200 }),
    `objects ${name} ${scopeParams()}`,
    5_000,
  );
  const d = detail.data;
  const c = delivered(d?.metrics);
  const fill = d ? Math.min(1, d.buffer.waiting / Math.max(1, d.buffer.ingested)) : 0;
  return html`
    <p class="muted"><a href=${href(['firehose'])}>Firehose</a> ›</p>
    <h1>${name} ${d && html`<${Status} value=${d.status} />`}</h1>
    <${ErrorBox} error=${detail.error} />
    ${d &&
    html`<div class="grid">
      <div class="card"><dl class="kv">
        <dt>ARN</dt><dd><code>${d.arn}</code></dd>
        <dt>Source</dt><dd>${d.type}</dd>
        <dt>Destination</dt><dd>${d.destination}${d.s3 ? html` → <code>s3://${d.s3.bucket}/${d.s3.prefix}</code>` : ''}</dd>
        <dt>Buffering</dt><dd>${fmtBytes(d.buffering.sizeBytes)} or ${d.buffering.intervalMs / 1000} s</dd>
        <dt>Version</dt><dd>${d.version}</dd>
        <dt>Created</dt><dd>${fmtTime(d.createdAt)}</dd>
        ${d.failure && html`<dt>Failure</dt><dd class="bad">${d.failure.Type}: ${d.failure.Details}</dd>`}
      </dl></div>
      <div class="card"><dl class="kv">
        <dt>Records taken in</dt><dd>${d.buffer.ingested.toLocaleString()}</dd>
        <dt>Waiting for delivery</dt><dd>${d.buffer.waiting.toLocaleString()} <progress max="1" value=${fill} aria-label="share of records waiting"></progress></dd>
        <dt>Delivered records</dt><dd>${c ? `${c.records.toLocaleString()} (${fmtBytes(c.bytes)})` : '–'}</dd>
        <dt>Delivery attempts</dt><dd>${c ? `${c.attempts}, ${c.successes} succeeded, ${c.attempts - c.successes} failed` : '–'}</dd>
        <dt>Data freshness</dt><dd>${c ? `${(c.dataFreshnessMs / 1000).toFixed(1)} s` : '–'}</dd>
      </dl>
      <p class="muted">Counters since this server started (the node delivering the stream).</p></div>
    </div>
    <h2>Delivered objects</h2>
    <${ErrorBox} error=${objects.error} />
    ${objects.data?.missingBucket && html`<p class="notice">The bucket ${objects.data.bucket} does not exist yet.</p>`}
    ${objects.data && objects.data.objects.length === 0 && !objects.data.missingBucket && html`<p class="muted">Nothing delivered yet.</p>`}
    ${objects.data && objects.data.objects.length > 0 &&
    html`<table aria-label="delivered objects"><thead><tr><th>Key</th><th class="num">Size</th><th>Written</th></tr></thead>
      <tbody>${objects.data.objects.map((o) => html`<tr><td class="mono"><a href=${apiUrl('objects', { bucket: objects.data!.bucket, key: o.key })}>${o.key}</a></td><td class="num">${fmtBytes(o.size)}</td><td>${fmtTime(o.lastModified)}</td></tr>`)}</tbody></table>
      ${objects.data.truncated && html`<p class="muted">Showing the first 200.</p>`}`}
    <h2>AWS/Firehose metrics</h2>
    <${MetricCharts} charts=${[
      ['IncomingRecords', 'Sum'],
      ['IncomingBytes', 'Sum'],
      [`DeliveryTo${d.destination === 'ExtendedS3' || d.destination === 'S3' ? 'S3' : d.destination}.Records`, 'Sum'],
      [`DeliveryTo${d.destination === 'ExtendedS3' || d.destination === 'S3' ? 'S3' : d.destination}.DataFreshness`, 'Maximum'],
    ].map(([metric, stat]) => ({ title: metric, namespace: 'AWS/Firehose', metric, dimensions: `DeliveryStreamName=${d.name}`, stat }))} />
    <h2>Destination</h2>
    <ul class="tree"><${JsonTree} value=${d.destinationDescription} open=${false} /></ul>`}`;
}
