/**
 * Live tail (CONSOLE-SPEC §1.3 "Live tail"): server-sent events of new records. The page keeps the
 * newest DISPLAY_ROWS rows and redraws at most every RENDER_MS, so a fast stream keeps the page
 * responsive; the counts (received, skipped by the server for a slow page, dropped from the
 * display) stay exact.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl, type KinesisRecord, type StreamDetail } from '../api.js';
import { fmtTime, fromBase64 } from '../format.js';
import { preview } from '../decode.js';
import { href } from '../route.js';
import { html, type Node } from '../ui.js';

export const DISPLAY_ROWS = 1_000;
const RENDER_MS = 250;
/** While records pour in (more than BUSY_BATCH a tick), the table is redrawn only every BUSY_RENDER_MS. */
const BUSY_BATCH = 100;
const BUSY_RENDER_MS = 1_000;

interface Counts {
  received: number;
  skipped: number;
  sampled: number;
  seen: number;
  filtered: number;
}

/** A record as the tail shows it: its preview made once, when it arrives. */
type TailRow = KinesisRecord & { preview: string };

const emptyCounts = (): Counts => ({ received: 0, skipped: 0, sampled: 0, seen: 0, filtered: 0 });

export function TailTab({ stream }: { stream: StreamDetail }): Node {
  const [keyPrefix, setKeyPrefix] = useState('');
  const [contains, setContains] = useState('');
  const [applied, setApplied] = useState({ key: '', contains: '' });
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<'connecting' | 'live' | 'closed'>('connecting');
  const [rows, setRows] = useState<TailRow[]>([]);
  const [counts, setCounts] = useState<Counts>(emptyCounts);
  const incoming = useRef<KinesisRecord[]>([]);
  const totals = useRef<Counts>(emptyCounts());
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  useEffect(() => {
    incoming.current = [];
    totals.current = emptyCounts();
    setRows([]);
    setState('connecting');
    const source = new EventSource(apiUrl(`streams/${encodeURIComponent(stream.name)}/tail`, { key: applied.key, contains: applied.contains }));
    source.addEventListener('ready', () => setState('live'));
    source.addEventListener('records', (event) => {
      const batch = JSON.parse((event as MessageEvent).data) as { records: KinesisRecord[]; skipped: number; sampled: number; seen: number; filtered: number };
      const t = totals.current;
      t.received += batch.records.length;
      t.skipped += batch.skipped;
      t.sampled += batch.sampled;
      t.seen = batch.seen;
      t.filtered = batch.filtered;
      if (!pausedRef.current) {
        incoming.current.push(...batch.records);
        if (incoming.current.length > DISPLAY_ROWS) incoming.current = incoming.current.slice(-DISPLAY_ROWS);
      }
    });
    source.addEventListener('end', () => {
      setState('closed');
      source.close();
    });
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    let renderedAt = 0;
    const timer = window.setInterval(() => {
      setCounts({ ...totals.current });
      if (incoming.current.length === 0) return;
      if (incoming.current.length > BUSY_BATCH && performance.now() - renderedAt < BUSY_RENDER_MS) return;
      renderedAt = performance.now();
      const batch = incoming.current.map((r) => ({ ...r, preview: preview(fromBase64(r.data)) }));
      incoming.current = [];
      setRows((current) => {
        const next = current.concat(batch);
        return next.length > DISPLAY_ROWS ? next.slice(-DISPLAY_ROWS) : next;
      });
    }, RENDER_MS);
    return () => {
      source.close();
      clearInterval(timer);
    };
  }, [stream.name, applied.key, applied.contains]);

  const shown = [...rows].reverse();
  const dataLink = (r: KinesisRecord) => href(['streams', stream.name, 'data'], { shard: r.shardId, type: 'AT_SEQUENCE_NUMBER', seq: r.sequenceNumber, limit: '10' });
  return html`
    <form class="row" onSubmit=${(e: Event) => { e.preventDefault(); setApplied({ key: keyPrefix, contains }); }}>
      <label>Partition key starts with <input data-filter value=${keyPrefix} onInput=${(e: Event) => setKeyPrefix((e.target as HTMLInputElement).value)} /></label>
      <label>Data contains <input value=${contains} onInput=${(e: Event) => setContains((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Apply filter</button>
      <button type="button" onClick=${() => setPaused(!paused)} aria-pressed=${paused}>${paused ? 'Resume' : 'Pause'}</button>
      <button type="button" onClick=${() => setRows([])}>Clear</button>
    </form>
    <p class="row" role="status" aria-live="polite">
      <span class=${state === 'live' ? 'ok' : 'warn'} id="tail-state">${state}</span>
      <span>received <strong id="tail-received">${counts.received}</strong></span>
      <span>matching since open <strong>${counts.seen}</strong></span>
      ${counts.filtered > 0 && html`<span class="muted">filtered out ${counts.filtered}</span>`}
      ${counts.sampled > 0 && html`<span class="warn">not shown (over ${1000} records/s, sampled) ${counts.sampled}</span>`}
      ${counts.skipped > 0 && html`<span class="warn">skipped by the server (page too slow) ${counts.skipped}</span>`}
      <span class="muted">showing the newest ${Math.min(rows.length, DISPLAY_ROWS)} of at most ${DISPLAY_ROWS}${paused ? ' · paused' : ''}</span>
    </p>
    <div class="tail-list">
      <table aria-label="live records">
        <thead><tr><th>Arrival</th><th>Shard</th><th>Sequence number</th><th>Partition key</th><th class="num">Size</th><th>Data</th></tr></thead>
        <tbody>${shown.map(
          (r) => html`<tr key=${r.sequenceNumber} data-seq=${r.sequenceNumber}><td>${fmtTime(r.arrival)}</td><td class="mono">${r.shardId.replace('shardId-', '')}</td>
            <td class="mono"><a href=${dataLink(r)}>${r.sequenceNumber}</a></td>
            <td class="mono">${r.partitionKey}</td><td class="num">${r.size}</td><td class="mono truncate">${r.preview}</td></tr>`,
        )}</tbody>
      </table>
    </div>`;
}
