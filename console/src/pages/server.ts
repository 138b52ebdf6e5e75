/** Server: version, store, process, and every setting in effect (secrets shown only as set). */
import type { ServerInfo } from '../api.js';
import { fmtBytes, fmtDuration, fmtTime } from '../format.js';
import { html, type Node } from '../ui.js';

export function ServerPage({ info }: { info: ServerInfo }): Node {
  return html`
    <h1>Server</h1>
    <div class="grid">
      <div class="card"><dl class="kv">
        <dt>Version</dt><dd>${info.version}</dd>
        <dt>Endpoint</dt><dd><code>${info.endpoint}</code></dd>
        <dt>Store</dt><dd>${info.store}</dd>
        <dt>Started</dt><dd>${fmtTime(info.startedAt)} (${fmtDuration(info.uptimeMs)} ago)</dd>
        <dt>Node.js</dt><dd>${info.node}, pid ${info.pid}</dd>
        <dt>Memory</dt><dd>RSS ${fmtBytes(info.memory.rss)}, heap ${fmtBytes(info.memory.heapUsed)}</dd>
        <dt>Console</dt><dd>${info.readOnly ? 'read-only' : 'read-write'}${info.tokenRequired ? ', token required' : ''}</dd>
        <dt>Metrics</dt><dd><a href="metrics">/_millrace/metrics</a> · <a href="health">/_millrace/health</a></dd>
      </dl></div>
    </div>
    <h2>Settings</h2>
    <table>
      <thead><tr><th>Flag</th><th>Variable</th><th>Value</th><th>Meaning</th></tr></thead>
      <tbody>${info.settings.map(
        (s) => html`<tr><td><code>${s.flag}</code></td><td><code>${s.env}</code></td>
          <td><code>${s.value === undefined ? '–' : String(s.value)}</code>${s.value !== undefined && s.value !== s.default && s.default !== undefined ? html` <span class="badge">changed</span>` : ''}</td>
          <td class="muted">${s.help}</td></tr>`,
      )}</tbody>
    </table>`;
}
