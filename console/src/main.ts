/** The console's shell: header with navigation, account/region switcher and theme; the page of the route. */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { get, type ServerInfo } from './api.js';
import { href, navigate, useRoute } from './route.js';
import { html, useApi, usePersistent, ErrorBox, type Node } from './ui.js';
import { HomePage } from './pages/home.js';
import { StreamsPage } from './pages/streams.js';
import { StreamPage } from './pages/stream.js';
import { FirehosePage } from './pages/firehose.js';
import { ServerPage } from './pages/server.js';
import { AnalyticsPage } from './pages/analytics.js';
import { VideoPage } from './pages/video.js';
import { MetricsPage } from './pages/metrics.js';

const SECTIONS = [
  { key: 'home', label: 'Home', parts: [] as string[] },
  { key: 'streams', label: 'Streams', parts: ['streams'] },
  { key: 'firehose', label: 'Firehose', parts: ['firehose'] },
  { key: 'analytics', label: 'Analytics', parts: ['analytics'] },
  { key: 'video', label: 'Video', parts: ['video'] },
  { key: 'metrics', label: 'Metrics', parts: ['metrics'] },
  { key: 'server', label: 'Server', parts: ['server'] },
];

/** `g` then a letter goes to a section; `/` focuses the page's filter. */
const SHORTCUTS: Record<string, string[]> = { h: [], s: ['streams'], f: ['firehose'], a: ['analytics'], k: ['video'], m: ['metrics'], v: ['server'] };

function ScopeSwitcher({ info }: { info: ServerInfo }): Node {
  const scopes = useApi(() => get<{ default: { account: string; region: string }; scopes: Array<{ account: string; region: string }> }>('scopes'), 'scopes', 10_000);
  const route = useRoute();
  const account = route.params.get('account') ?? info.account;
  const region = route.params.get('region') ?? info.region;
  const current = `${account}/${region}`;
  const options = new Set([current, ...(scopes.data?.scopes ?? []).map((s) => `${s.account}/${s.region}`)]);
  const change = (event: Event) => {
    const [a, r] = (event.target as HTMLSelectElement).value.split('/');
    navigate(route.parts, { account: a === info.account ? undefined : a, region: r === info.region ? undefined : r });
  };
  return html`<label>Account / region
    <select onChange=${change} value=${current} aria-label="account and region">
      ${[...options].map((o) => html`<option value=${o}>${o}</option>`)}
    </select></label>`;
}

function App(): Node {
  const route = useRoute();
  const server = useApi(() => get<ServerInfo>('server'), 'server');
  const [theme, setTheme] = usePersistent<'system' | 'light' | 'dark'>('theme', 'system');
  useEffect(() => {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
  }, [theme]);
  useEffect(() => {
    let pending = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]') || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '/') {
        const filter = document.querySelector<HTMLInputElement>('[data-filter]');
        if (filter) {
          event.preventDefault();
          filter.focus();
        }
        return;
      }
      if (pending && SHORTCUTS[event.key]) navigate(SHORTCUTS[event.key]);
      pending = event.key === 'g';
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const section = route.parts[0] ?? 'home';
  const info = server.data;
  let page: Node;
  if (!info) page = server.error ? html`<${ErrorBox} error=${server.error} />` : html`<p class="loading">Loading…</p>`;
  else if (section === 'home') page = html`<${HomePage} info=${info} />`;
  else if (section === 'streams' && route.parts[1]) page = html`<${StreamPage} info=${info} name=${route.parts[1]} tab=${route.parts[2] ?? 'overview'} params=${route.params} />`;
  else if (section === 'streams') page = html`<${StreamsPage} info=${info} />`;
  else if (section === 'firehose') page = html`<${FirehosePage} info=${info} name=${route.parts[1]} />`;
  else if (section === 'analytics') page = html`<${AnalyticsPage} name=${route.parts[1]} />`;
  else if (section === 'video') page = html`<${VideoPage} name=${route.parts[1]} tab=${route.parts[2]} />`;
  else if (section === 'metrics') page = html`<${MetricsPage} params=${route.params} />`;
  else if (section === 'server') page = html`<${ServerPage} info=${info} />`;
  else page = html`<p>No page here. <a href=${href([])}>Home</a></p>`;
  return html`
    <header class="top">
      <a class="brand" href=${href([])}>Millrace</a>
      <nav aria-label="sections">
        ${SECTIONS.map((s) => html`<a href=${href(s.parts)} aria-current=${s.key === section ? 'page' : undefined}>${s.label}</a>`)}
      </nav>
      <span class="spacer"></span>
      ${info && html`<${ScopeSwitcher} info=${info} />`}
      ${info?.readOnly && html`<span class="badge" title="--console-read-only">read-only</span>`}
      <label>Theme
        <select value=${theme} onChange=${(e: Event) => setTheme((e.target as HTMLSelectElement).value as 'system')} aria-label="theme">
          <option value="system">system</option><option value="light">light</option><option value="dark">dark</option>
        </select></label>
    </header>
    <main id="main">${page}</main>`;
}

const root = document.getElementById('app')!;
root.replaceChildren(); // the loading note; Preact renders beside what is there
render(html`<${App} />`, root);
