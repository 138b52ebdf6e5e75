/**
 * Produce (CONSOLE-SPEC §1.3 "Produce"): one record or a batch from a template, routed by the
 * partition key (MD5) unless an explicit hash key is given; the predicted shard is asked of the
 * server, which routes as PutRecord does.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, post, type StreamDetail } from '../api.js';
import { fromBase64 } from '../format.js';
import { asText } from '../decode.js';
import { href } from '../route.js';
import { html, ErrorBox, type Node } from '../ui.js';

interface Result {
  shardId: string;
  sequenceNumber: string;
}

/** `{{seq}}` (0-based index), `{{uuid}}`, `{{now}}` (ISO time) in batch templates. */
function fill(template: string, i: number): string {
  return template.replace(/\{\{(seq|uuid|now)\}\}/g, (_, name: string) => (name === 'seq' ? String(i) : name === 'uuid' ? crypto.randomUUID() : new Date().toISOString()));
}

export function ProduceTab({ stream, params }: { stream: StreamDetail; params: URLSearchParams }): Node {
  const prefillData = params.get('data');
  const prefillText = prefillData ? asText(fromBase64(prefillData)) : undefined;
  const [partitionKey, setPartitionKey] = useState(params.get('pk') ?? 'key-1');
  const [explicitHashKey, setExplicitHashKey] = useState('');
  const [encoding, setEncoding] = useState<'text' | 'base64'>(prefillData && prefillText === undefined ? 'base64' : 'text');
  const [body, setBody] = useState(prefillData ? (prefillText ?? prefillData) : '{"id": 1, "message": "hello"}');
  const [count, setCount] = useState('1');
  const [predicted, setPredicted] = useState<string | undefined>();
  const [results, setResults] = useState<Result[]>([]);
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const batch = Number(count) > 1;

  useEffect(() => {
    let live = true;
    const timer = setTimeout(async () => {
      try {
        const route = await get<{ shardId?: string }>(`streams/${encodeURIComponent(stream.name)}/route`, { partitionKey: batch ? fill(partitionKey, 0) : partitionKey, explicitHashKey: explicitHashKey || undefined });
        if (live) setPredicted(route.shardId);
      } catch {
        if (live) setPredicted(undefined);
      }
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [partitionKey, explicitHashKey, stream.name, batch]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const n = Math.max(1, Math.min(500, Number(count) || 1));
      const record = (i: number) => ({
        partitionKey: batch ? fill(partitionKey, i) : partitionKey,
        explicitHashKey: explicitHashKey || undefined,
        ...(encoding === 'text' ? { text: batch ? fill(body, i) : body } : { data: body.trim() }),
      });
      const answer = await post<{ records: Result[] }>(`streams/${encodeURIComponent(stream.name)}/records`, n === 1 ? record(0) : { records: Array.from({ length: n }, (_, i) => record(i)) });
      setResults(answer.records);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form onSubmit=${submit} aria-label="produce">
      <div class="row">
        <label>Partition key <input name="partitionKey" value=${partitionKey} onInput=${(e: Event) => setPartitionKey((e.target as HTMLInputElement).value)} required maxlength="256" /></label>
        <label>Explicit hash key <input name="explicitHashKey" class="mono" placeholder="optional, decimal" value=${explicitHashKey} onInput=${(e: Event) => setExplicitHashKey((e.target as HTMLInputElement).value)} /></label>
        <span>Predicted shard: <code id="predicted-shard">${predicted ?? '–'}</code></span>
      </div>
      <div class="row">
        <label><input type="radio" name="encoding" checked=${encoding === 'text'} onChange=${() => setEncoding('text')} /> text / JSON</label>
        <label><input type="radio" name="encoding" checked=${encoding === 'base64'} onChange=${() => setEncoding('base64')} /> base64</label>
        <label>Records <input name="count" type="number" min="1" max="500" value=${count} onInput=${(e: Event) => setCount((e.target as HTMLInputElement).value)} style="width: 80px" /></label>
        <span class="muted">${batch ? 'Batch (PutRecords): {{seq}}, {{uuid}} and {{now}} are filled in per record, in the key and the data.' : ''}</span>
      </div>
      <textarea name="data" aria-label="data" value=${body} onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)}></textarea>
      <div class="row"><button class="primary" type="submit" disabled=${busy}>${batch ? `Put ${count} records` : 'Put record'}</button></div>
    </form>
    <${ErrorBox} error=${error} />
    ${results.length > 0 &&
    html`<table aria-label="put results"><thead><tr><th>#</th><th>Shard</th><th>Sequence number</th></tr></thead>
      <tbody>${results.map((r, i) => html`<tr><td>${i}</td><td class="mono result-shard">${r.shardId}</td><td class="mono result-seq"><a href=${href(['streams', stream.name, 'data'], { shard: r.shardId, type: 'AT_SEQUENCE_NUMBER', seq: r.sequenceNumber, limit: '10' })}>${r.sequenceNumber}</a></td></tr>`)}</tbody></table>`}`;
}
