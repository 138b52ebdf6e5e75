import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { startMillrace } from '../src/server.js';
import { STATIC_ROOT } from '../src/console/static-files.js';

/**
 * The console's budgets (issue 18 §2 and "Performance"): the whole console under 100 KB gzipped,
 * and the first page rendered ≤ 500 ms after navigation. Renders the home page and the streams
 * page in Debian's chromium (playwright-core) BENCH_LOADS times each with a cold cache and prints
 * the time from navigation start to the page's data on screen (median and worst).
 *
 *   node dist/bench/console.js
 */
const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
const LOADS = Number(process.env.BENCH_LOADS ?? 7);

function gzipBudget(): { files: number; raw: number; gzip: number } {
  const files = readdirSync(STATIC_ROOT, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith('.map'));
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

async function main(): Promise<void> {
  const budget = gzipBudget();
  console.log(`console files: ${budget.files}, ${budget.raw} bytes, ${budget.gzip} bytes gzipped (-9); budget 102400`);
  if (!existsSync(CHROMIUM)) {
    console.log(`render time not measured: no ${CHROMIUM}`);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-console-'));
  const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const kinesis = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    for (let i = 0; i < 5; i++) await kinesis.send(new CreateStreamCommand({ StreamName: `bench-${i}`, ShardCount: 2 }));
    kinesis.destroy();
    const pages: Array<[string, string]> = [
      ['home', 'h1'],
      ['streams', 'tr[data-stream="bench-4"]'],
    ];
    for (const [name, selector] of pages) {
      const times: number[] = [];
      for (let i = 0; i < LOADS; i++) {
        // A new context each time: nothing cached.
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${server.endpoint}/_millrace/#/${name === 'home' ? '' : name}`, { waitUntil: 'commit' });
        await page.locator(selector).first().waitFor();
        const [now, breakdown] = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
          const api = resources.filter((r) => r.name.includes('/api/v1/'));
          return [performance.now(), { html: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, modules: resources.length - api.length, lastApi: Math.max(0, ...api.map((r) => r.responseEnd)) }] as const;
        });
        times.push(now);
        if (i === LOADS - 1) console.log(`  ${name}, last load: html ${breakdown.html.toFixed(0)} ms, DOMContentLoaded ${breakdown.domContentLoaded.toFixed(0)} ms (${breakdown.modules} files), last API answer ${breakdown.lastApi.toFixed(0)} ms, on screen ${now.toFixed(0)} ms`);
        await context.close();
      }
      console.log(`${name}: navigation start to data on screen, median ${median(times).toFixed(0)} ms, worst ${Math.max(...times).toFixed(0)} ms over ${LOADS} cold loads`);
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
