/**
 * The data viewer (CONSOLE-SPEC §1.3 "Data viewer"): one shard or all merged by arrival time,
 * from any iterator type, oldest- or newest-first; the position is in the URL (a permalink), the
 * next page continues with the API's cursor. Sequence numbers are shown exactly as given.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, type KinesisRecord, type RecordPage, type StreamDetail } from '../api.js';
import { decode, preview, VIEWS, type Decoded, type View } from '../decode.js';
import { download, fmtTime, fromBase64, hexDump } from '../format.js';
import { href, navigate } from '../route.js';
import { html, ErrorBox, JsonTree, usePersistent, type Node } from '../ui.js';

const TYPES = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP'];
const LIMITS = ['10', '50', '100', '500', '1000'];

export function DataTab({ stream, params, writable }: { stream: StreamDetail; params: URLSearchParams; writable: boolean }): Node {
  const form = {
    shard: params.get('shard') ?? '',
    type: params.get('type') ?? 'TRIM_HORIZON',
    seq: params.get('seq') ?? '',
    ts: params.get('ts') ?? '',
    order: params.get('order') ?? 'oldest',
    limit: params.get('limit') ?? '50',
  };
  const key = JSON.stringify(form);
  const [pages, setPages] = useState<{ key: string; records: KinesisRecord[]; cursor?: string; error?: Error; loading: boolean }>({ key: '', records: [], loading: true });
  const [selected, setSelected] = useState<number | undefined>();
  const [draft, setDraft] = useState(form);
  useEffect(() => setDraft(form), [key]);

  const load = async (cursor?: string) => {
    setPages((p) => ({ ...p, loading: true, error: undefined }));
    try {
      const page = await get<RecordPage>(`streams/${encodeURIComponent(stream.name)}/records`, cursor
        ? { cursor, limit: form.limit, order: form.order }
        : {
            shard: form.shard || undefined,
            type: form.type,
            seq: form.type.endsWith('SEQUENCE_NUMBER') ? form.seq : undefined,
            ts: form.type === 'AT_TIMESTAMP' && form.ts ? String(new Date(form.ts).getTime()) : undefined,
            order: form.order,
            limit: form.limit,
          });
      setPages((p) => ({ key, records: cursor ? [...p.records, ...page.records] : page.records, cursor: page.cursor, loading: false }));
    } catch (error) {
      setPages((p) => ({ ...p, key, error: error as Error, loading: false }));
    }
  };
  useEffect(() => {
    setSelected(undefined);
    void load();
  }, [key, stream.id]);

  const submit = (event: Event) => {
    event.preventDefault();
    navigate(['streams', stream.name, 'data'], { ...draft, seq: draft.type.endsWith('SEQUENCE_NUMBER') ? draft.seq : undefined, ts: draft.type === 'AT_TIMESTAMP' ? draft.ts : undefined });
  };
  const field = (name: keyof typeof draft) => (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value });
  const jsonl = () =>
    download(`${stream.name}-records.jsonl`, pages.records.map((r) => JSON.stringify({ ShardId: r.shardId, SequenceNumber: r.sequenceNumber, ApproximateArrivalTimestamp: new Date(r.arrival).toISOString(), PartitionKey: r.partitionKey, Data: r.data })).join('\n') + '\n');
  const record = selected === undefined ? undefined : pages.records[selected];
  return html`
    <form class="row" onSubmit=${submit} aria-label="position">
      <label>Shard <select value=${draft.shard} onChange=${field('shard')} name="shard">
        <option value="">all shards, by arrival</option>
        ${stream.shards.map((s) => html`<option value=${s.shardId}>${s.shardId}${s.open ? '' : ' (closed)'}</option>`)}
      </select></label>
      <label>From <select value=${draft.type} onChange=${field('type')} name="type">${TYPES.map((t) => html`<option>${t}</option>`)}</select></label>
      ${draft.type.endsWith('SEQUENCE_NUMBER') && html`<label>Sequence number <input name="seq" class="mono" size="60" value=${draft.seq} onInput=${field('seq')} required /></label>`}
      ${draft.type === 'AT_TIMESTAMP' && html`<label>Time <input name="ts" type="datetime-local" step="1" value=${draft.ts} onInput=${field('ts')} required /></label>`}
      <label>Order <select value=${draft.order} onChange=${field('order')} name="order"><option value="oldest">oldest first</option><option value="newest">newest first</option></select></label>
      <label>Page <select value=${draft.limit} onChange=${field('limit')} name="limit">${LIMITS.map((l) => html`<option>${l}</option>`)}</select></label>
      <button class="primary" type="submit">Load from position</button>
    </form>
    <p class="muted">Reading here does not count against the stream's read limits. ${pages.records.length} records loaded.</p>
    <${ErrorBox} error=${pages.error} />
    <table aria-label="records">
      <thead><tr><th>Arrival</th><th>Shard</th><th>Sequence number</th><th>Partition key</th><th class="num">Size</th><th>Data</th></tr></thead>
      <tbody>${pages.records.map(
        (r, i) => html`<tr class=${`clickable ${i === selected ? 'selected' : ''}`} tabindex="0" data-seq=${r.sequenceNumber}
            onClick=${() => setSelected(i)} onKeyDown=${(e: KeyboardEvent) => e.key === 'Enter' && setSelected(i)}>
          <td>${fmtTime(r.arrival)}</td><td class="mono">${r.shardId.replace('shardId-', '')}</td>
          <td class="mono seq">${r.sequenceNumber}</td><td class="mono">${r.partitionKey}</td><td class="num">${r.size}</td>
          <td class="mono truncate">${r.kpl ? html`<span class="badge">KPL × ${r.kpl.length}</span> ` : ''}${preview(fromBase64(r.data))}</td></tr>`,
      )}</tbody>
    </table>
    <div class="row">
      <button onClick=${() => load(pages.cursor)} disabled=${!pages.cursor || pages.loading}>${pages.loading ? 'Loading…' : 'Next page'}</button>
      <button onClick=${jsonl} disabled=${pages.records.length === 0}>Download JSONL</button>
    </div>
    ${record && html`<${RecordDetail} stream=${stream} record=${record} writable=${writable} onClose=${() => setSelected(undefined)} />`}`;
}

function DecodedView({ decoded }: { decoded: Decoded }): Node {
  if (decoded.kind === 'gzip' || decoded.kind === 'zlib') return html`<div><span class="badge">${decoded.kind}, ${decoded.bytes.length} bytes</span><${DecodedView} decoded=${decoded.inner} /></div>`;
  if (decoded.kind === 'json') return html`<ul class="tree json-tree"><${JsonTree} value=${decoded.value} /></ul>`;
  if (decoded.kind === 'text') return html`<pre class="text-view">${decoded.text}</pre>`;
  return html`<pre class="hex-view">${hexDump(decoded.bytes)}</pre>`;
}

function Payload({ data, stream }: { data: string; stream: string }): Node {
  const [view, setView] = usePersistent<View>(`view.${stream}`, 'auto');
  const [decoded, setDecoded] = useState<Decoded | undefined>();
  useEffect(() => {
    let live = true;
    void decode(fromBase64(data), view).then((d) => live && setDecoded(d));
    return () => {
      live = false;
    };
  }, [data, view]);
  return html`<div>
    <div class="row" role="radiogroup" aria-label="decode as">${VIEWS.map(
      (v) => html`<label><input type="radio" name=${`view-${stream}`} checked=${v === view} onChange=${() => setView(v)} />${v}</label>`,
    )}</div>
    ${decoded && html`<${DecodedView} decoded=${decoded} />`}
  </div>`;
}

function RecordDetail({ stream, record, writable, onClose }: { stream: StreamDetail; record: KinesisRecord; writable: boolean; onClose: () => void }): Node {
  const cli = `aws kinesis put-record --stream-name ${stream.name} --partition-key '${record.partitionKey.replace(/'/g, `'\\''`)}' --data '${record.data}'`;
  return html`<section class="drawer" aria-label="record detail">
    <div class="row"><h2 style="margin: 0">Record</h2><span class="spacer"></span><button onClick=${onClose}>Close</button></div>
    <dl class="kv">
      <dt>Sequence number</dt><dd class="mono" id="detail-seq">${record.sequenceNumber}</dd>
      <dt>Shard</dt><dd class="mono">${record.shardId}</dd>
      <dt>Partition key</dt><dd class="mono">${record.partitionKey}</dd>
      <dt>Arrival</dt><dd>${fmtTime(record.arrival)} (${record.arrival})</dd>
      <dt>Size</dt><dd>${record.size} bytes${record.encrypted ? ' · stored encrypted (KMS)' : ''}</dd>
      <dt>Permalink</dt><dd><a href=${href(['streams', stream.name, 'data'], { shard: record.shardId, type: 'AT_SEQUENCE_NUMBER', seq: record.sequenceNumber, order: 'oldest', limit: '10' })}>at this record</a></dd>
    </dl>
    ${record.kpl
      ? html`<h3>KPL aggregate: ${record.kpl.length} sub-records</h3>
        ${record.kpl.map((sub) => html`<div class="card"><div class="muted mono">${record.sequenceNumber} / sub-sequence ${sub.subSequenceNumber} · key ${sub.partitionKey}${sub.explicitHashKey ? ` · hash key ${sub.explicitHashKey}` : ''}</div><${Payload} data=${sub.data} stream=${stream.name} /></div>`)}`
      : html`<${Payload} data=${record.data} stream=${stream.name} />`}
    <h3>Base64</h3><pre class="mono">${record.data}</pre>
    <div class="row">
      <button onClick=${() => navigator.clipboard?.writeText(cli)}>Copy as aws kinesis put-record</button>
      ${writable && html`<a href=${href(['streams', stream.name, 'produce'], { pk: record.partitionKey, data: record.data })}>Re-put…</a>`}
    </div>
  </section>`;
}
