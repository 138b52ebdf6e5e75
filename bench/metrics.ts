import { loadavg } from 'node:os';
import { request } from 'node:http';
import { Target } from './targets.js';
import { putRecordScenario, putRecordsScenario, type Metric } from './scenarios.js';

/**
 * What the metrics cost the Kinesis data path (issue 18 "Performance": ≤ 5 % on the PutRecords
 * benchmark, same run, metrics scraped every second versus not at all).
 *
 *   node dist/bench/metrics.js
 *
 * One Millrace in a process of its own (bench/targets.ts) takes the PutRecords load
 * (bench/scenarios.ts) in rounds that alternate between the two sides, so both see the same
 * machine: "scraped" fetches `/_millrace/metrics` every second during the round (and the
 * CloudWatch publisher runs as always), "quiet" scrapes nothing. Prints every round and the
 * ratio of the medians.
 *
 *   BENCH_SCENARIO   putrecords (default) or putrecord
 *   BENCH_ROUNDS     rounds (default 4); each measures both sides, in the order AB BA AB…
 *   BENCH_SECONDS    seconds per measurement (default 5)
 */
const SCRAPE_INTERVAL_MS = 1_000;
const WARM_UP_SECONDS = 2;

function scrapeOnce(endpoint: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(new URL('/_millrace/metrics', endpoint), (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`scrape answered ${res.statusCode} (${bytes} bytes)`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Scrapes every second until stopped; resolves with the scrape durations (ms). */
function scraper(endpoint: string): { stop(): Promise<number[]> } {
  const durations: number[] = [];
  let failure: unknown;
  const timer = setInterval(() => {
    scrapeOnce(endpoint).then(
      (ms) => durations.push(ms),
      (err) => (failure = err),
    );
  }, SCRAPE_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      if (failure) throw failure;
      return durations;
    },
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const scenarioName = process.env.BENCH_SCENARIO ?? 'putrecords';
  const scenario = scenarioName === 'putrecord' ? putRecordScenario : putRecordsScenario;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const target = await Target.start('millrace');
  try {
    console.log(`metrics cost, ${scenarioName}: ${rounds} rounds of ${seconds} s per side; load average ${loadavg()[0]!.toFixed(1)}`);
    await scenario(target.endpoint, { seconds: WARM_UP_SECONDS });
    const results: Record<'scraped' | 'quiet', number[]> = { scraped: [], quiet: [] };
    const scrapeTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order: ('scraped' | 'quiet')[] = round % 2 === 0 ? ['scraped', 'quiet'] : ['quiet', 'scraped'];
      const line: string[] = [];
      for (const side of order) {
        const scraping = side === 'scraped' ? scraper(target.endpoint) : undefined;
        const metrics: Metric[] = await scenario(target.endpoint, { seconds });
        const durations = (await scraping?.stop()) ?? [];
        scrapeTimes.push(...durations);
        results[side].push(metrics[0]!.value);
        line.push(`${side} ${fmt(metrics[0]!.value)} ${metrics[0]!.unit}${scraping ? ` (${durations.length} scrapes)` : ''}`);
      }
      console.log(`round ${round + 1}: ${line.join(' | ')}`);
    }
    const scraped = median(results.scraped);
    const quiet = median(results.quiet);
    console.log(`scraped every second: ${fmt(scraped)} records/s (median); not scraped: ${fmt(quiet)} records/s (median)`);
    console.log(`scraped / not scraped: ${(scraped / quiet).toFixed(3)} (cost ${(100 * (1 - scraped / quiet)).toFixed(1)} %); scrape took ${median(scrapeTimes).toFixed(1)} ms (median)`);
  } finally {
    await target.stop();
  }
}

await main();
