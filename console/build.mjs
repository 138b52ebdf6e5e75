// The console's build step after `tsc -p console`: copies the page, the style sheet and the
// vendored libraries (preact, htm, uPlot, from node_modules) beside the compiled modules in
// dist/console/. No bundler: the browser loads ES modules through the page's import map.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
for (const file of ['app.css', 'favicon.svg']) copyFileSync(join(here, file), join(out, file));
// Every module the first page needs, announced up front: the browser fetches them in parallel
// instead of discovering them import by import.
const modules = [
  ...readdirSync(join(out, 'js'), { recursive: true }).filter((f) => String(f).endsWith('.js')).map((f) => `ui/js/${String(f).replaceAll('\\', '/')}`),
  ...['preact.mjs', 'hooks.mjs', 'htm.mjs', 'htm-preact.mjs'].map((f) => `ui/vendor/${f}`),
].sort();
const preload = modules.map((m) => `<link rel="modulepreload" href="${m}">`).join('\n');
writeFileSync(join(out, 'index.html'), readFileSync(join(here, 'index.html'), 'utf8').replace('<!-- modulepreload -->', preload));
