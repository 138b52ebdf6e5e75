/** Shards: the hash-key map of open shards, the lineage of splits and merges, and resharding actions. */
import { useState } from 'preact/hooks';
import { post, type Shard, type StreamDetail } from '../api.js';
import { fmtTime, hashShare } from '../format.js';
import { href } from '../route.js';
import { html, ErrorBox, type Node } from '../ui.js';

const COLORS = ['var(--shard-a)', 'var(--shard-b)', 'var(--shard-c)', 'var(--shard-d)'];

/** Generations: shards with no visible parent first, then their children, and so on. */
function generations(shards: Shard[]): Shard[][] {
  const ids = new Set(shards.map((s) => s.shardId));
  const depth = new Map<string, number>();
  const depthOf = (shard: Shard): number => {
    if (depth.has(shard.shardId)) return depth.get(shard.shardId)!;
    const parents = [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined && ids.has(p));
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depthOf(shards.find((s) => s.shardId === p)!)));
    depth.set(shard.shardId, d);
    return d;
  };
  const out: Shard[][] = [];
  for (const shard of shards) (out[depthOf(shard)] ??= []).push(shard);
  return out.map((gen) => gen.sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1)));
}

export function ShardsTab({ stream, writable, reload }: { stream: StreamDetail; writable: boolean; reload: () => void }): Node {
  const [error, setError] = useState<Error | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState('');
  const open = stream.shards.filter((s) => s.open).sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
  const act = async (label: string, path: string, body: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      await post(`streams/${encodeURIComponent(stream.name)}/${path}`, body);
      setMessage(`${label}: the stream is UPDATING; the new shards appear when it is ACTIVE again.`);
      reload();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const canReshard = writable && stream.status === 'ACTIVE' && stream.mode === 'PROVISIONED';
  return html`
    <h2>Hash-key space</h2>
    <div class="hashmap" role="list" aria-label="open shards by hash-key range">
      ${open.map(
        (s, i) => html`<a role="listitem" href=${href(['streams', stream.name, 'data'], { shard: s.shardId })} title=${`${s.shardId}: ${s.startingHashKey} – ${s.endingHashKey}`}
          style=${`flex: ${Math.max(hashShare(s.startingHashKey, s.endingHashKey), 0.002)}; background: ${COLORS[i % COLORS.length]}`}>${s.shardId.replace('shardId-', '')}</a>`,
      )}
    </div>
    <${ErrorBox} error=${error} />
    ${message && html`<p class="notice" role="status">${message}</p>`}
    ${writable &&
    html`<div class="row">
      <label>Target shard count <input type="number" min="1" value=${target} onInput=${(e: Event) => setTarget((e.target as HTMLInputElement).value)} style="width: 90px" /></label>
      <button disabled=${!canReshard || busy || !target} onClick=${() => act('UpdateShardCount', 'scale', { targetShardCount: Number(target) })}>Scale (uniform)</button>
      ${!canReshard && html`<span class="muted">${stream.mode === 'ON_DEMAND' ? 'on-demand streams scale themselves' : `resharding needs an ACTIVE stream (now ${stream.status})`}</span>`}
    </div>`}
    <h2>Shards</h2>
    <table>
      <thead><tr><th>Shard</th><th>State</th><th>Parents</th><th>Hash keys</th><th>Sequence numbers</th><th class="num">Records</th><th>Created</th>${writable && html`<th>Actions</th>`}</tr></thead>
      <tbody>${stream.shards.map((s) => {
        const at = open.indexOf(s);
        const next = at >= 0 ? open[at + 1] : undefined;
        return html`<tr data-shard=${s.shardId}>
          <td><a href=${href(['streams', stream.name, 'data'], { shard: s.shardId })}><code>${s.shardId}</code></a></td>
          <td>${s.open ? html`<span class="badge ACTIVE">open</span>` : html`<span class="badge closed">closed ${fmtTime(s.closedAt)}</span>`}</td>
          <td class="mono">${[s.parentShardId, s.adjacentParentShardId].filter(Boolean).join(' + ') || '–'}</td>
          <td class="mono">${s.startingHashKey}<br />${s.endingHashKey}</td>
          <td class="mono">${s.startingSequenceNumber}<br />${s.endingSequenceNumber ?? html`<span class="muted">open</span>`}</td>
          <td class="num">${s.records?.toLocaleString() ?? '–'}</td>
          <td>${fmtTime(s.createdAt)}</td>
          ${writable &&
          html`<td>${s.open &&
          html`<button disabled=${!canReshard || busy} onClick=${() => act(`Split ${s.shardId}`, 'split', { shardId: s.shardId })} aria-label=${`split ${s.shardId}`}>Split</button>
            ${next && html` <button disabled=${!canReshard || busy} onClick=${() => act(`Merge ${s.shardId} + ${next.shardId}`, 'merge', { shardId: s.shardId, adjacentShardId: next.shardId })} aria-label=${`merge ${s.shardId} with ${next.shardId}`}>Merge with next</button>`}`}</td>`}
        </tr>`;
      })}</tbody>
    </table>
    <h2>Lineage</h2>
    <div class="lineage" aria-label="shard lineage, oldest generation first">
      ${generations(stream.shards).map(
        (gen, i) => html`<div class="gen"><span class="muted">generation ${i}</span>
          ${gen.map((s) => html`<div class=${`node ${s.open ? '' : 'closed'}`}><code>${s.shardId}</code>${s.parentShardId ? html`<div class="muted">← ${[s.parentShardId, s.adjacentParentShardId].filter(Boolean).join(' + ')}</div>` : ''}</div>`)}</div>`,
      )}
    </div>`;
}
