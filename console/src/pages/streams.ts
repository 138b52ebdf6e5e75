/** Streams: every stream of the account and region, with its live in-rate (CONSOLE-SPEC §1.3 "Streams"). */
import { get, type ServerInfo, type StreamRow } from '../api.js';
import { fmtRate } from '../format.js';
import { href, navigate, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, Sparkline, Status, type Node } from '../ui.js';
import { useState } from 'preact/hooks';

/** Rate samples per stream, kept across polls while the page is open. */
const history = new Map<string, number[]>();
const HISTORY_SAMPLES = 60;
export const POLL_MS = 2_000;

export function StreamsPage({ info: _info }: { info: ServerInfo }): Node {
  const scope = scopeParams().toString();
  const list = useApi(async () => {
    const answer = await get<{ streams: StreamRow[]; truncated: boolean; total: number }>('streams');
    for (const s of answer.streams) {
      const key = `${scope} ${s.arn}`;
      const samples = history.get(key) ?? [];
      if (s.incomingRecordsPerSecond !== undefined) samples.push(s.incomingRecordsPerSecond);
      history.set(key, samples.slice(-HISTORY_SAMPLES));
    }
    return answer;
  }, `streams ${scope}`, POLL_MS);
  const [filter, setFilter] = useState('');
  const rows = (list.data?.streams ?? []).filter((s) => s.name.toLowerCase().includes(filter.toLowerCase()));
  return html`
    <h1>Streams</h1>
    <div class="row">
      <input data-filter placeholder="Filter by name (/)" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} aria-label="filter streams" />
      <span class="muted">${list.data ? `${list.data.total} stream${list.data.total === 1 ? '' : 's'}` : ''}</span>
    </div>
    <${ErrorBox} error=${list.error} />
    ${list.data && list.data.streams.length === 0 && html`<p class="notice">No streams in this account and region. Create one with <code>aws kinesis create-stream --stream-name orders --shard-count 2</code>.</p>`}
    ${rows.length > 0 &&
    html`<table>
      <thead><tr><th>Name</th><th>Status</th><th>Mode</th><th class="num">Open shards</th><th class="num">Records</th><th class="num">In (records/s)</th><th>Last 2 min</th><th class="num">Retention</th><th class="num">EFO consumers</th><th>Encryption</th></tr></thead>
      <tbody>
        ${rows.map(
          (s) => html`<tr class="clickable" data-stream=${s.name} onClick=${() => navigate(['streams', s.name])}>
            <td><a href=${href(['streams', s.name])}>${s.name}</a></td>
            <td><${Status} value=${s.status} /></td>
            <td>${s.mode}</td>
            <td class="num">${s.openShards}</td>
            <td class="num">${s.records.toLocaleString()}</td>
            <td class="num">${fmtRate(s.incomingRecordsPerSecond)}</td>
            <td><${Sparkline} values=${history.get(`${scope} ${s.arn}`) ?? []} /></td>
            <td class="num">${s.retentionHours} h</td>
            <td class="num">${s.consumers}</td>
            <td>${s.encryption}</td>
          </tr>`,
        )}
      </tbody>
    </table>`}`;
}
