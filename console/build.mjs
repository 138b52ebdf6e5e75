// The console's build step after `tsc -p console`: copies the page, the style sheet and the
// vendored libraries (preact, htm, uPlot, from node_modules) beside the compiled modules in
// dist/console/. No bundler: the browser loads ES modules through the page's import map.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'console');
/** The project's own node_modules: the build runs in the checkout. */
const packageDir = (name) => join(here, '..', 'node_modules', name);

const vendor = {
  'preact.mjs': join(packageDir('preact'), 'dist/preact.mjs'),
  'hooks.mjs': join(packageDir('preact'), 'hooks/dist/hooks.mjs'),
  'htm.mjs': join(packageDir('htm'), 'dist/htm.module.js'),
  'htm-preact.mjs': join(packageDir('htm'), 'preact/index.module.js'),
  'uPlot.iife.min.js': join(packageDir('uplot'), 'dist/uPlot.iife.min.js'),
  'uPlot.min.css': join(packageDir('uplot'), 'dist/uPlot.min.css'),
};
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const [name, from] of Object.entries(vendor)) copyFileSync(from, join(out, 'vendor', name));
// The style sheet and the icon are inlined into the page (below): no request holds the first render.
// The module graph of the compiled files: each module's static imports, bare names resolved through
// the page's import map. Dynamic import() is not followed: that is where the pages split.
const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(readFileSync(join(here, 'index.html'), 'utf8'))[1]).imports;
const resolveImport = (from, specifier) =>
  specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(from), specifier)) : importMap[specifier]?.replace(/^\.\//, '');
const staticImports = (module) => {
  const source = readFileSync(join(out, module.replace(/^ui\//, '')), 'utf8');
  const found = [...source.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?['"]([^'"]+)['"]/g)].map((m) => resolveImport(module, m[1]));
  return found.filter(Boolean);
};
const closure = (entry) => {
  const seen = new Set();
  const visit = (module) => {
    if (seen.has(module)) return;
    seen.add(module);
    for (const next of staticImports(module)) visit(next);
  };
  visit(entry);
  return seen;
};
// The shell (main.js and what it imports) is announced up front: the browser fetches it in parallel
// instead of discovering it import by import. Each page's own modules go to boot.ts, which announces
// the first page's.
const shell = closure('ui/js/main.js');
const pages = {};
for (const [key, file] of Object.entries({ home: 'home', streams: 'streams', stream: 'stream', firehose: 'firehose', analytics: 'analytics', video: 'video', metrics: 'metrics', server: 'server' })) {
  pages[key] = [...closure(`ui/js/pages/${file}.js`)].filter((m) => !shell.has(m)).sort();
}
const attribute = (text) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
// Its doc comment stays in console/src/boot.ts: the page need not carry it.
const bootScript = readFileSync(join(out, 'js', 'boot.js'), 'utf8').replace(/\/\*\*[\s\S]*?\*\/\s*/, '');
// Inlined: no file of its own to fetch.
rmSync(join(out, 'js', 'boot.js'));
// The build's name: a hash of every file the page can load. The page asks for them under
// ui/~BUILD/, so a browser may keep them for good (the server says immutable) and a new build is
// new addresses. Relative imports inside the modules stay under the same prefix by themselves.
const hash = createHash('sha256');
const template = readFileSync(join(here, 'index.html'), 'utf8');
const styleSheet = readFileSync(join(here, 'app.css'), 'utf8');
const favicon = readFileSync(join(here, 'favicon.svg'), 'utf8');
hash.update(template).update(bootScript).update(styleSheet).update(favicon);
for (const file of readdirSync(out, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name !== 'index.html' && f.name !== 'BUILD_ID').map((f) => join(f.parentPath ?? f.path, f.name)).sort()) {
  hash.update(file.slice(out.length)).update(readFileSync(file));
}
const build = hash.digest('base64url').slice(0, 12);
writeFileSync(join(out, 'BUILD_ID'), build);
const versioned = (module) => module.replace(/^ui\//, `ui/~${build}/`);
for (const key of Object.keys(pages)) pages[key] = pages[key].map(versioned);
const preload = [...shell].sort().map((m) => `<link rel="modulepreload" href="${m}">`).join('\n');
const boot = `<script data-pages="${attribute(JSON.stringify(pages))}">${bootScript.replaceAll('</script', '<\\/script')}</script>`;
const page = template
  .replace('<link rel="stylesheet" href="ui/app.css">', () => `<style>${styleSheet.replaceAll('</style', '<\\/style')}</style>`)
  .replace('<link rel="icon" href="ui/favicon.svg">', () => `<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(favicon.trim())}">`)
  .replace('<!-- modulepreload -->', preload)
  .replace(/<!-- boot .*-->/, boot)
  .replace(/(href="|src="|"\.\/)ui\//g, `$1ui/~${build}/`);
writeFileSync(join(out, 'index.html'), page);
