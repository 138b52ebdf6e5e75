/** Analytics: applications with their state; one application's job, tables with sample rows, operations, versions and errors. */
import { get } from '../api.js';
import { preview } from '../decode.js';
import { fmtTime, fromBase64 } from '../format.js';
import { href, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, Status, JsonTree, type Node } from '../ui.js';

interface AppRow {
  name: string;
  arn: string;
  status: string;
  runtime: string;
  mode?: string;
  versionId: number;
  managedBy: string;
  createdAt: number;
  lastUpdatedAt?: number;
  description?: string;
  lastOperation?: { operation: string; status: string; error?: string; startedAt: number };
}

interface TableView {
  name: string;
  columns: Array<{ name: string; type: string }>;
  watermark?: string;
  connector: string;
  stream?: string;
  deliveryStream?: string;
  role: string[];
  sample?: Array<{ shardId: string; sequenceNumber: string; arrival: number; data: string }>;
  sampleError?: string;
}

interface AppDetail extends AppRow {
  serviceExecutionRole?: string;
  run?: { restoreType: string; snapshotName?: string };
  pending?: string;
  code: { type?: string; size?: number; kind?: string; source?: string; text?: string; s3?: { BucketARN: string; FileKey: string } };
  properties: Array<{ PropertyGroupId: string; PropertyMap: Record<string, string> }>;
  flink?: unknown;
  sql?: unknown;
  runner: { state: string; error?: string };
  tables: TableView[];
  errors: Array<{ source: string; at?: number; message: string }>;
  operations: Array<{ id: string; operation: string; status: string; startedAt: number; endedAt?: number; versionFrom?: number; versionTo?: number; error?: string }>;
  versions: Array<{ versionId: number; status: string; createdAt: number; runtime: string; updatedFrom?: number; rolledBackFrom?: number; rolledBackTo?: number }>;
  snapshots: Array<{ name: string; status: string; versionId: number; createdAt: number }>;
}

const POLL_MS = 2_000;

export function AnalyticsPage({ name }: { name?: string }): Node {
  return name ? html`<${ApplicationPage} name=${name} />` : html`<${ApplicationList} />`;
}

function ApplicationList(): Node {
  const list = useApi(() => get<{ applications: AppRow[] }>('analytics'), `analytics ${scopeParams()}`, POLL_MS);
  const rows = list.data?.applications ?? [];
  return html`
    <h1>Analytics applications</h1>
    <${ErrorBox} error=${list.error} />
    ${list.data && rows.length === 0 && html`<p class="notice">No Analytics applications in this account and region.</p>`}
    ${rows.length > 0 &&
    html`<table>
      <thead><tr><th>Name</th><th>Status</th><th>Runtime</th><th class="num">Version</th><th>API</th><th>Last operation</th><th>Updated</th></tr></thead>
      <tbody>${rows.map(
        (a) => html`<tr data-application=${a.name}><td><a href=${href(['analytics', a.name])}>${a.name}</a></td><td><${Status} value=${a.status} /></td>
          <td>${a.runtime}${a.mode === 'INTERACTIVE' ? ' (Studio)' : ''}</td><td class="num">${a.versionId}</td><td>${a.managedBy === 'kinesisanalytics' ? 'v1' : 'v2'}</td>
          <td>${a.lastOperation ? html`${a.lastOperation.operation} <span class=${a.lastOperation.status === 'FAILED' ? 'bad' : 'muted'}>${a.lastOperation.status}</span>` : '–'}</td>
          <td>${fmtTime(a.lastUpdatedAt ?? a.createdAt)}</td></tr>`,
      )}</tbody>
    </table>`}`;
}

function ApplicationPage({ name }: { name: string }): Node {
  const detail = useApi(() => get<AppDetail>(`analytics/${encodeURIComponent(name)}`), `analytics ${name} ${scopeParams()}`, POLL_MS);
  const a = detail.data;
  return html`
    <p class="muted"><a href=${href(['analytics'])}>Analytics</a> ›</p>
    <h1>${name} ${a && html`<${Status} value=${a.status} />`}</h1>
    <${ErrorBox} error=${detail.error} />
    ${a &&
    html`<div class="grid">
      <div class="card"><dl class="kv">
        <dt>ARN</dt><dd><code>${a.arn}</code></dd>
        <dt>Runtime</dt><dd>${a.runtime}${a.mode ? ` (${a.mode})` : ''}</dd>
        <dt>Version</dt><dd>${a.versionId}</dd>
        <dt>Managed by</dt><dd>${a.managedBy}</dd>
        ${a.description && html`<dt>Description</dt><dd>${a.description}</dd>`}
        <dt>Created</dt><dd>${fmtTime(a.createdAt)}</dd>
        ${a.pending && html`<dt>In progress</dt><dd class="warn">${a.pending}</dd>`}
      </dl></div>
      <div class="card"><dl class="kv">
        <dt>Job</dt><dd id="job-state"><${Status} value=${a.runner.state} /></dd>
        ${a.runner.error && html`<dt>Job error</dt><dd class="bad">${a.runner.error}</dd>`}
        <dt>Code</dt><dd>${a.code.type ?? 'none'}${a.code.kind ? ` · ${a.code.kind}` : ''}${a.code.source ? ` from ${a.code.source}` : ''}${a.code.s3 ? html` · <code>${a.code.s3.BucketARN}/${a.code.s3.FileKey}</code>` : ''}</dd>
        ${a.run && html`<dt>Last start</dt><dd>${a.run.restoreType}${a.run.snapshotName ? ` (${a.run.snapshotName})` : ''}</dd>`}
        <dt>Snapshots</dt><dd>${a.snapshots.length}</dd>
      </dl></div>
    </div>
    <h2>Errors</h2>
    ${a.errors.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<table aria-label="errors"><thead><tr><th>When</th><th>From</th><th>Message</th></tr></thead>
        <tbody>${a.errors.map((e) => html`<tr><td>${fmtTime(e.at)}</td><td>${e.source}</td><td class="bad">${e.message}</td></tr>`)}</tbody></table>`}
    <h2>Tables</h2>
    ${a.tables.length === 0
      ? html`<p class="muted">${a.code.kind === 'sql' ? 'The job defines no tables.' : 'Tables are shown for Flink SQL code.'}</p>`
      : a.tables.map((t) => html`<${TableCard} table=${t} />`)}
    <h2>Operations</h2>
    ${a.operations.length === 0
      ? html`<p class="muted">None yet.</p>`
      : html`<table aria-label="operations"><thead><tr><th>Operation</th><th>Status</th><th>Started</th><th>Ended</th><th>Versions</th><th>Error</th></tr></thead>
        <tbody>${a.operations.map(
          (o) => html`<tr data-operation=${o.id}><td>${o.operation}</td><td><${Status} value=${o.status} /></td><td>${fmtTime(o.startedAt)}</td><td>${fmtTime(o.endedAt)}</td>
            <td>${o.versionFrom !== undefined ? `${o.versionFrom} → ${o.versionTo ?? '–'}` : '–'}</td><td class="bad">${o.error ?? ''}</td></tr>`,
        )}</tbody></table>`}
    <h2>Versions</h2>
    <table aria-label="versions"><thead><tr><th class="num">Version</th><th>Status then</th><th>Created</th><th>Runtime</th><th>History</th></tr></thead>
      <tbody>${a.versions.map(
        (v) => html`<tr><td class="num">${v.versionId}</td><td>${v.status}</td><td>${fmtTime(v.createdAt)}</td><td>${v.runtime}</td>
          <td class="muted">${v.updatedFrom !== undefined ? `updated from ${v.updatedFrom}` : ''}${v.rolledBackFrom !== undefined ? ` rolled back from ${v.rolledBackFrom}` : ''}${v.rolledBackTo !== undefined ? ` rolled back to ${v.rolledBackTo}` : ''}</td></tr>`,
      )}</tbody></table>
    ${a.code.text !== undefined && html`<h2>Flink SQL</h2><pre class="mono" aria-label="code">${a.code.text}</pre>`}
    ${a.properties.length > 0 && html`<h2>Properties</h2><ul class="tree"><${JsonTree} value=${a.properties} open=${false} /></ul>`}
    ${a.sql !== undefined && html`<h2>SQL inputs and outputs</h2><ul class="tree"><${JsonTree} value=${a.sql} open=${false} /></ul>`}`}`;
}

function TableCard({ table: t }: { table: TableView }): Node {
  return html`<div class="card" data-table=${t.name} style="margin-bottom:10px">
    <h3>${t.name} <span class="muted">${t.connector}${t.role.length ? ` · ${t.role.join(' and ')}` : ''}</span></h3>
    <p class="mono">${t.columns.map((c) => `${c.name} ${c.type}`).join(', ')}${t.watermark ? ` · ${t.watermark}` : ''}</p>
    ${t.stream && html`<p>Kinesis stream <a href=${href(['streams', t.stream, 'data'], { order: 'newest' })}>${t.stream}</a></p>`}
    ${t.deliveryStream && html`<p>Firehose <a href=${href(['firehose', t.deliveryStream])}>${t.deliveryStream}</a></p>`}
    ${t.sampleError && html`<p class="warn">${t.sampleError}</p>`}
    ${t.sample &&
    (t.sample.length === 0
      ? html`<p class="muted">No rows in the stream yet.</p>`
      : html`<table aria-label=${`sample rows of ${t.name}`}><thead><tr><th>Arrival</th><th>Sequence</th><th>Row</th></tr></thead>
        <tbody>${t.sample.map((r) => html`<tr data-seq=${r.sequenceNumber}><td>${fmtTime(r.arrival)}</td><td class="mono">${r.sequenceNumber}</td><td class="mono truncate">${preview(fromBase64(r.data), 300)}</td></tr>`)}</tbody></table>`)}
  </div>`;
}
