/** Video: streams; one stream's fragments, newest first; a live HLS player. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { fmtBytes, fmtTime } from '../format.js';
import { href, scopeParams } from '../route.js';
import { html, useApi, ErrorBox, Status, CopyBlock, type Node } from '../ui.js';
import { playLiveHls } from './live-mse.js';

interface Fragment {
  fragmentNumber: string;
  serverTimestamp: number;
  producerTimestamp: number;
  lengthMs: number;
  size: number;
  committedAt: number;
}

interface VideoStream {
  name: string;
  arn: string;
  status: string;
  mediaType?: string;
  deviceName?: string;
  retentionHours: number;
  storageTier: string;
  createdAt: number;
  kmsKeyId?: string;
  fragments: { committed: number; newest?: Fragment };
}

type HlsAnswer = { available: true; mode: string; url: string } | { available: false; error: string; message: string };

const POLL_MS = 2_000;
const HLS_TYPE = 'application/vnd.apple.mpegurl';

export function VideoPage({ name, tab }: { name?: string; tab?: string }): Node {
  if (!name) return html`<${VideoStreamList} />`;
  return html`
    <p class="muted"><a href=${href(['video'])}>Video</a> ›</p>
    <h1>${name}</h1>
    <nav class="tabs" aria-label="video stream views">
      <a href=${href(['video', name])} aria-current=${tab !== 'player' ? 'page' : undefined}>Fragments</a>
      <a href=${href(['video', name, 'player'])} aria-current=${tab === 'player' ? 'page' : undefined}>Live player</a>
    </nav>
    ${tab === 'player' ? html`<${Player} name=${name} />` : html`<${VideoStreamDetail} name=${name} />`}`;
}

function VideoStreamList(): Node {
  const list = useApi(() => get<{ streams: VideoStream[] }>('video'), `video ${scopeParams()}`, POLL_MS);
  const rows = list.data?.streams ?? [];
  return html`
    <h1>Kinesis Video streams</h1>
    <${ErrorBox} error=${list.error} />
    ${list.data && rows.length === 0 && html`<p class="notice">No video streams in this account and region.</p>`}
    ${rows.length > 0 &&
    html`<table>
      <thead><tr><th>Name</th><th>Status</th><th>Media type</th><th class="num">Retention</th><th class="num">Fragments</th><th>Newest fragment</th><th></th></tr></thead>
      <tbody>${rows.map(
        (s) => html`<tr data-video-stream=${s.name}><td><a href=${href(['video', s.name])}>${s.name}</a></td><td><${Status} value=${s.status} /></td>
          <td>${s.mediaType ?? '–'}</td><td class="num">${s.retentionHours ? `${s.retentionHours} h` : 'none'}</td>
          <td class="num">${s.fragments.committed.toLocaleString()}</td><td>${fmtTime(s.fragments.newest?.serverTimestamp)}</td>
          <td><a href=${href(['video', s.name, 'player'])}>play</a></td></tr>`,
      )}</tbody>
    </table>`}`;
}

function VideoStreamDetail({ name }: { name: string }): Node {
  const detail = useApi(() => get<VideoStream>(`video/${encodeURIComponent(name)}`), `video ${name} ${scopeParams()}`, POLL_MS);
  const [before, setBefore] = useState<number | undefined>(undefined);
  const page = useApi(
    () => get<{ fragments: Fragment[]; next?: number }>(`video/${encodeURIComponent(name)}/fragments`, { limit: 50, before }),
    `fragments ${name} ${before} ${scopeParams()}`,
    before === undefined ? POLL_MS : undefined,
  );
  const s = detail.data;
  return html`
    <${ErrorBox} error=${detail.error} />
    ${s &&
    html`<div class="card"><dl class="kv">
      <dt>Status</dt><dd><${Status} value=${s.status} /></dd>
      <dt>ARN</dt><dd><code>${s.arn}</code></dd>
      <dt>Media type</dt><dd>${s.mediaType ?? '–'}</dd>
      ${s.deviceName && html`<dt>Device</dt><dd>${s.deviceName}</dd>`}
      <dt>Retention</dt><dd>${s.retentionHours ? `${s.retentionHours} hours` : 'none (live only)'}</dd>
      <dt>Storage tier</dt><dd>${s.storageTier}</dd>
      <dt>Created</dt><dd>${fmtTime(s.createdAt)}</dd>
      <dt>Fragments committed</dt><dd id="fragments-committed">${s.fragments.committed.toLocaleString()}</dd>
    </dl></div>`}
    <h2>Fragments <span class="muted">newest first</span></h2>
    <${ErrorBox} error=${page.error} />
    ${page.data && page.data.fragments.length === 0 && html`<p class="muted">No fragments yet: PutMedia (a producer SDK or GStreamer's kvssink) adds them.</p>`}
    ${page.data && page.data.fragments.length > 0 &&
    html`<table aria-label="fragments"><thead><tr><th>Fragment number</th><th>Server time</th><th>Producer time</th><th class="num">Length</th><th class="num">Size</th></tr></thead>
      <tbody>${page.data.fragments.map(
        (f) => html`<tr data-fragment=${f.fragmentNumber}><td class="mono">${f.fragmentNumber}</td><td>${fmtTime(f.serverTimestamp)}</td><td>${fmtTime(f.producerTimestamp)}</td>
          <td class="num">${(f.lengthMs / 1000).toFixed(2)} s</td><td class="num">${fmtBytes(f.size)}</td></tr>`,
      )}</tbody></table>
      <div class="row">
        ${before !== undefined && html`<button onClick=${() => setBefore(undefined)}>Newest</button>`}
        ${page.data.next !== undefined && html`<button onClick=${() => setBefore(page.data!.next)}>Older</button>`}
      </div>`}`;
}

/** The session URL as this page's origin reaches it (the server built it for its own address). */
function sameOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${location.origin}${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function Player({ name }: { name: string }): Node {
  const [attempt, setAttempt] = useState(0);
  const session = useApi(() => get<HlsAnswer>(`video/${encodeURIComponent(name)}/hls`, { mode: 'LIVE' }), `hls ${name} ${attempt} ${scopeParams()}`);
  const video = useRef<HTMLVideoElement>(null);
  const [playError, setPlayError] = useState<string | undefined>(undefined);
  const answer = session.data;
  const url = answer?.available ? sameOrigin(answer.url) : undefined;
  // Media Source Extensions where the browser has them (as hls.js does): a browser's own HLS is
  // used only without them (iOS Safari), since "maybe" from canPlayType does not mean it plays.
  const native = typeof MediaSource === 'undefined' && typeof document !== 'undefined' && document.createElement('video').canPlayType(HLS_TYPE) !== '';
  useEffect(() => {
    setPlayError(undefined);
    if (!url || !video.current) return;
    if (!native) {
      // No HLS in this browser: the page feeds Media Source Extensions itself (live-mse.ts).
      const playback = playLiveHls(video.current, url, setPlayError);
      return () => playback.stop();
    }
    video.current.src = url;
    video.current.play().catch((err: Error) => setPlayError(err.message));
  }, [url]);
  return html`
    <${ErrorBox} error=${session.error} />
    ${session.loading && !answer && html`<p class="loading">Asking for a live HLS session…</p>`}
    ${answer && !answer.available &&
    html`<div class="notice" role="status" id="player-state" data-state="unavailable">
      <strong>No live playback for this stream yet.</strong> GetHLSStreamingSessionURL answered <code>${answer.error}</code>: ${answer.message}
      <div class="row"><button onClick=${() => setAttempt((n) => n + 1)}>Try again</button></div>
    </div>`}
    ${url &&
    html`<div id="player-state" data-state="ready">
      <video ref=${video} controls muted autoplay playsinline style="max-width:100%;background:#000" aria-label="live video"></video>
      ${playError && html`<p class="warn" id="player-error">The browser could not play it: ${playError}. The session URL below plays in VLC, ffplay or mpv.</p>`}
      <${CopyBlock} label="HLS session URL (LIVE)" text=${url} />
    </div>`}`;
}
