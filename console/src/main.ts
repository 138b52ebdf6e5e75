/** The console's shell: header with navigation, account/region switcher and theme; the page of the route. */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { get, type ServerInfo } from './api.js';
import { currentRoute, href, navigate, useRoute, type Route } from './route.js';
import { html, useApi, usePersistent, ErrorBox, type Node } from './ui.js';

/** A page: its props are its own. */
type PageComponent = (props: any) => Node;

/**
 * Each page is a module of its own, imported when first shown: the first page loads only what it
 * needs (boot.ts has already asked for those modules), the others when the user goes there.
 * The keys are the names boot.ts and build.mjs use.
 */
const PAGES: Record<string, () => Promise<PageComponent>> = {
  home: () => import('./pages/home.js').then((m) => m.HomePage),
  streams: () => import('./pages/streams.js').then((m) => m.StreamsPage),
  stream: () => import('./pages/stream.js').then((m) => m.StreamPage),
  firehose: () => import('./pages/firehose.js').then((m) => m.FirehosePage),
  analytics: () => import('./pages/analytics.js').then((m) => m.AnalyticsPage),
  video: () => import('./pages/video.js').then((m) => m.VideoPage),
  metrics: () => import('./pages/metrics.js').then((m) => m.MetricsPage),
  server: () => import('./pages/server.js').then((m) => m.ServerPage),
};
const imported = new Map<string, PageComponent>();
const importing = new Map<string, Promise<PageComponent>>();

function importPage(key: string): Promise<PageComponent> {
  let pending = importing.get(key);
  if (!pending) {
    pending = PAGES[key]().then((component) => {
      imported.set(key, component);
      return component;
    });
    // A failed import (server restarted mid-build, network) is tried again on the next visit.
    pending.catch(() => importing.delete(key));
    importing.set(key, pending);
  }
  return pending;
}

/** The page a route shows (boot.ts decides the same way). */
function pageOf(route: Route): string {
  const section = route.parts[0] ?? 'home';
  return section === 'streams' && route.parts[1] !== undefined ? 'stream' : section;
}

/** The page's component once its module is in; until then a loading note. */
function Page({ page, props }: { page: string; props: Record<string, unknown> }): Node {
  const component = imported.get(page);
  const [failed, setFailed] = useState<{ page: string; error: Error }>();
  const [, setLoaded] = useState(0);
  useLayoutEffect(() => {
    if (component) return;
    let live = true;
    importPage(page).then(
      () => live && setLoaded((n) => n + 1),
      (error: Error) => live && setFailed({ page, error }),
    );
    return () => {
      live = false;
    };
  }, [page]);
  if (component) return html`<${component} ...${props} />`;
  if (failed?.page === page) return html`<${ErrorBox} error=${failed.error} />`;
  return html`<p class="loading">Loading…</p>`;
}

// The first page's module, asked for now rather than after the first render.
if (PAGES[pageOf(currentRoute())]) importPage(pageOf(currentRoute())).catch(() => undefined);

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
  const key = pageOf(route);
  const props: Record<string, unknown> = { info, name: route.parts[1], tab: route.parts[2], params: route.params };
  if (key === 'stream') props.tab = route.parts[2] ?? 'overview';
  if (!PAGES[key]) page = html`<p>No page here. <a href=${href([])}>Home</a></p>`;
  else if (!info) page = server.error ? html`<${ErrorBox} error=${server.error} />` : html`<p class="loading">Loading…</p>`;
  else page = html`<${Page} page=${key} props=${props} />`;
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
