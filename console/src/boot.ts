/**
 * The first thing the page runs, inlined into index.html's head by build.mjs (a classic script, not
 * a module): from the URL it knows which page will show, so before the modules arrive it
 *  - asks for that page's modules (modulepreload), which main.js would otherwise find only after
 *    it ran (the pages are imported on demand), and
 *  - starts the page's first API calls, which the page would otherwise make only after every module
 *    ran and rendered; api.ts takes these answers instead of asking again.
 * The script tag carries `data-pages`: page → the modules it needs, computed by build.mjs.
 */
(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const pages = JSON.parse(script?.dataset.pages ?? '{}') as Record<string, string[]>;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?', 2);
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return; // a malformed address: main.js says so
  }
  const section = parts[0] ?? 'home';
  const name = parts[1];
  const page = section === 'streams' && name !== undefined ? 'stream' : section;
  for (const module of pages[page] ?? []) {
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = module;
    document.head.append(link);
  }
  // The same URLs api.ts builds: the path, then the view's account and region.
  const params = new URLSearchParams(query);
  const scope = new URLSearchParams();
  for (const key of ['account', 'region']) {
    const value = params.get(key);
    if (value) scope.set(key, value);
  }
  const suffix = scope.toString() ? `?${scope}` : '';
  // What every page asks first (the shell: server, scopes) and what the page's own first view asks.
  const calls = ['server', 'scopes'];
  if (['streams', 'firehose', 'analytics', 'video'].includes(section)) calls.push(name === undefined ? section : `${section}/${encodeURIComponent(name)}`);
  else if (section === 'metrics') calls.push('metrics');
  const early: Record<string, Promise<Response>> = {};
  for (const call of calls) {
    const url = `api/v1/${call}${suffix}`;
    early[url] = fetch(url, { headers: { Accept: 'application/json' } });
    early[url].catch(() => undefined); // a failure is seen by the page that takes the answer
  }
  (window as unknown as { millraceEarly?: Record<string, Promise<Response>> }).millraceEarly = early;
})();
