import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { STATIC_ROOT } from '../src/console/static-files.js';
import { launcherEnvironment } from './launcher.js';

/**
 * The console's budgets (issue 18 §2 and "Performance"): the whole console under 100 KB gzipped,
 * and the first page rendered ≤ 500 ms after navigation. Loads the home page and the streams page
 * in Debian's chromium (playwright-core) BENCH_LOADS times each, each in a new browser context (a
 * cold cache), then reloads the streams page after a first load (what the browser kept counts), and prints the time from navigation start to the first frame after the page's data
 * is in the document (median and worst), measured in the page itself: a MutationObserver sees the
 * element, the next animation frame is the paint.
 *
 * Millrace runs as users run it (the `millrace` command, its own process), so the harness's own
 * work (playwright's protocol traffic) does not share its event loop. Beside it, in the same
 * rounds, the floor: a blank page with the same element served by node:http in a process of its
 * own, loaded the same way. With BENCH_BASELINE=/path/to/another/checkout (built: npm ci), that
 * checkout's console is loaded too, interleaved load by load, for a before/after in one run.
 *
 *   node dist/bench/console.js
 *   BENCH_BASELINE=/work/main node dist/bench/console.js
 */
const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
const LOADS = Number(process.env.BENCH_LOADS ?? 9);
const BASELINE = process.env.BENCH_BASELINE;
const ROOT = resolve(STATIC_ROOT, '..', '..');
const STREAMS = 5;

function gzipBudget(root: string): { files: number; raw: number; gzip: number } {
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith('.map'));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(f.parentPath ?? f.path, f.name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: files.length, raw, gzip };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Target {
  label: string;
  endpoint: string;
  child: ChildProcess;
}

async function startProcess(label: string, command: string, args: string[], ready: string): Promise<Target> {
  const port = await freePort();
  const child = spawn(command, args.map((a) => a.replace('PORT', String(port))), { env: launcherEnvironment(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
  });
  child.stdout!.resume();
  return { label, endpoint: `http://127.0.0.1:${port}`, child };
}

/** A checkout's `millrace` command, in memory, with five 2-shard streams. */
function startMillrace(label: string, root: string): Promise<Target> {
  const streams = Array.from({ length: STREAMS }, (_, i) => ['--stream', `bench-${i}:2`]).flat();
  return startProcess(label, join(root, 'bin', 'millrace'), ['--port', 'PORT', '--memory', '--log-level', 'error', ...streams], 'endpoint');
}

/** The floor: the smallest page holding the element the home page waits for, from node:http. */
const BLANK_PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title></head><body><h1>floor</h1><table><tr data-stream="bench-4"><td>bench-4</td></tr></table></body></html>';
function startFloor(): Promise<Target> {
  const program = `const page = ${JSON.stringify(BLANK_PAGE)};
require('node:http').createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) }); res.end(page); })
  .listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));`;
  return startProcess('floor', process.execPath, ['-e', program, 'PORT'], 'listening');
}

async function stop(target: Target): Promise<void> {
  if (target.child.exitCode !== null) return;
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.kill('SIGTERM');
  await exited;
}

interface Load {
  /** Navigation start to the first frame after the element is in the document. */
  painted: number;
  html: number;
  domContentLoaded: number;
  files: number;
  lastFile: number;
  firstApi: number;
  lastApi: number;
}

/** One load of `url`, timed in the page until `selector` is painted: cold, or a reload after a first load (`warm`). */
async function load(browser: Browser, url: string, selector: string, warm: boolean): Promise<Load> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript((wanted: string) => {
      const w = window as unknown as { __painted?: number };
      const check = (observer?: MutationObserver) => {
        if (!document.querySelector(wanted)) return;
        observer?.disconnect();
        requestAnimationFrame(() => (w.__painted = performance.now()));
      };
      new MutationObserver((_, observer) => check(observer)).observe(document, { childList: true, subtree: true });
    }, selector);
    const painted = () => page.waitForFunction(() => (window as unknown as { __painted?: number }).__painted !== undefined);
    await page.goto(url, { waitUntil: 'commit' });
    await painted();
    if (warm) {
      await page.reload({ waitUntil: 'commit' });
      await painted();
    }
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const api = resources.filter((r) => r.name.includes('/api/v1/'));
      const files = resources.filter((r) => !r.name.includes('/api/v1/'));
      return {
        painted: (window as unknown as { __painted: number }).__painted,
        html: nav.responseEnd,
        domContentLoaded: nav.domContentLoadedEventEnd,
        files: files.length,
        lastFile: Math.max(0, ...files.map((r) => r.responseEnd)),
        firstApi: Math.min(...api.map((r) => r.startTime)),
        lastApi: Math.max(0, ...api.map((r) => r.responseEnd)),
      };
    });
  } finally {
    await context.close();
  }
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '-');

async function main(): Promise<void> {
  const budget = gzipBudget(STATIC_ROOT);
  console.log(`console files: ${budget.files}, ${budget.raw} bytes, ${budget.gzip} bytes gzipped (-9); budget 102400`);
  if (BASELINE) {
    const old = gzipBudget(join(BASELINE, 'dist', 'console'));
    console.log(`baseline (${BASELINE}): ${old.files} files, ${old.raw} bytes, ${old.gzip} bytes gzipped (-9)`);
  }
  if (!existsSync(CHROMIUM)) {
    console.log(`render time not measured: no ${CHROMIUM}`);
    return;
  }
  const targets = [await startFloor(), await startMillrace('this build', ROOT)];
  if (BASELINE) targets.push(await startMillrace('baseline', BASELINE));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const streamRow = `tr[data-stream="bench-${STREAMS - 1}"]`;
    const pages: Array<[string, string, string, boolean]> = [
      ['home', '', 'h1', false],
      ['streams', 'streams', streamRow, false],
      // A reload: what the browser kept from the first load counts.
      ['streams, reload', 'streams', streamRow, true],
    ];
    for (const [name, hash, selector, warm] of pages) {
      const times = new Map<Target, Load[]>(targets.map((t) => [t, []]));
      for (let i = 0; i < LOADS; i++) {
        // Interleaved, in an order that rotates, so a burst of load on the machine hits each alike.
        for (let j = 0; j < targets.length; j++) {
          const target = targets[(i + j) % targets.length];
          const url = target.label === 'floor' ? `${target.endpoint}/` : `${target.endpoint}/_millrace/#/${hash}`;
          times.get(target)!.push(await load(browser, url, selector, warm));
        }
      }
      for (const target of targets) {
        const loads = times.get(target)!;
        const painted = loads.map((l) => l.painted);
        const typical = loads.find((l) => l.painted === median(painted))!;
        console.log(
          `${name.padEnd(15)} ${target.label.padEnd(10)} painted: median ${ms(median(painted))}, worst ${ms(Math.max(...painted))}, best ${ms(Math.min(...painted))} over ${LOADS} ${warm ? 'reloads' : 'cold loads'}` +
            ` | median load: html ${ms(typical.html)}, ${typical.files} files by ${ms(typical.lastFile)}, DOMContentLoaded ${ms(typical.domContentLoaded)}, API ${ms(typical.firstApi)}–${ms(typical.lastApi)}`,
        );
      }
    }
  } finally {
    await browser.close();
    for (const target of targets) await stop(target);
  }
}

await main();
