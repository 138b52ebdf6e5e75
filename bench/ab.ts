import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Target } from './targets.js';
import type { TargetKind } from './target-child.js';
import { floorPutRecordScenario, getRecordsScenario, putRecordScenario, putRecordsScenario, type Budget, type Metric } from './scenarios.js';

/**
 * An A/B of two servers under the same load, taken in alternation so that both see the same
 * machine: on a shared machine, numbers from separate runs differ more than the change measured.
 *
 *   node dist/bench/ab.js [A] [B]
 *
 * A and B: `millrace` (this build), `floor` (bench/floor.ts), `kinesalite`, or the dist directory
 * of another build (its Millrace: e.g. a worktree of the main branch built with `npx tsc -p .`).
 * Defaults: millrace floor.
 *
 *   BENCH_SCENARIO   putrecord (default), putrecords or getrecords (the floor serves putrecord only)
 *   BENCH_ROUNDS     rounds (default 6); each runs A and B once, in the order ABBA ABBA…
 *   BENCH_SECONDS    seconds per measurement (default 5)
 *   BENCH_WARMUP_SECONDS  load each server takes before the first round (default 2). Millrace
 *                    has more code for V8 to optimize than the floor: its first seconds under load
 *                    carry compilation on V8's helper thread (measured up to 2× its steady CPU per
 *                    request in the first 5 s on the 2-core bench machine), so a short warm-up
 *                    measures the JIT as much as the server.
 *   FLOOR_WRITES     `store`: the floor also makes the embedded store's second put per append
 *                    (bench/floor.ts), so that both sides make the same LMDB writes
 *   FLOOR_WORK       `aws`: the floor also does the work Kinesis mandates for every PutRecord (MD5
 *                    of the partition key routing it to one of 4 shard logs, AWS's x-amzn-RequestId
 *                    and x-amz-id-2 response headers; bench/floor.ts)
 *
 * Both servers run for the whole A/B, each in its own process, and are warmed up with a short
 * run first. Prints every measurement and, per round, the ratio A/B of the first metric.
 */
type Scenario = (endpoint: string, budget: Budget) => Promise<Metric[]>;

const SCENARIOS: Record<string, Scenario> = {
  putrecord: putRecordScenario,
  putrecords: putRecordsScenario,
  getrecords: getRecordsScenario,
};
const KINDS: readonly string[] = ['millrace', 'floor', 'kinesalite'];
const WARM_UP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

interface Side {
  name: string;
  target: Target;
  scenario: Scenario;
  firsts: number[];
  cpuPerUnit: number[];
}

async function startSide(spec: string, scenarioName: string): Promise<Side> {
  const scenario = SCENARIOS[scenarioName];
  if (!scenario) throw new Error(`unknown scenario ${scenarioName} (${Object.keys(SCENARIOS).join(', ')})`);
  if (KINDS.includes(spec)) {
    const kind = spec as TargetKind;
    if (kind === 'floor' && scenarioName !== 'putrecord') throw new Error('the floor serves the putrecord scenario only');
    return { name: spec, target: await Target.start(kind), scenario: kind === 'floor' ? floorPutRecordScenario : scenario, firsts: [], cpuPerUnit: [] };
  }
  const dist = resolve(spec);
  return { name: dist, target: await Target.start('millrace', [], join(dist, 'bench', 'target-child.js')), scenario, firsts: [], cpuPerUnit: [] };
}

const fmt = (metric: Metric, i: number) => `${i === 0 ? '' : `${metric.label.trim().replace(/^.*latency /, '')} `}${metric.value.toLocaleString('en-US', { maximumFractionDigits: metric.unit === 'ms' ? 2 : 0 })} ${metric.unit}`;

/**
 * One measurement, with the server's CPU time per request (PutRecord) or per record: on a shared
 * machine the least noisy number of all, since it does not depend on how much CPU was free.
 */
async function measure(side: Side, seconds: number): Promise<string> {
  const cpuBefore = await side.target.cpu();
  const started = performance.now();
  const metrics = await side.scenario(side.target.endpoint, { seconds });
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (await side.target.cpu()) - cpuBefore;
  side.firsts.push(metrics[0]!.value);
  // The scenario's own setup (stream creation, a prefill) is in the CPU time too: small beside the load.
  const units = metrics[0]!.value * Math.min(seconds, elapsed);
  side.cpuPerUnit.push(cpu / units);
  return `${metrics.map(fmt).join(', ')}, CPU ${(cpu / units).toFixed(1)} µs/${metrics[0]!.unit.replace('/s', '')} (${((100 * cpu) / 1e6 / elapsed).toFixed(0)}% of a core)`;
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)} (median ${median.toFixed(2)})`;
}

async function main(): Promise<void> {
  const [specA = 'millrace', specB = 'floor'] = process.argv.slice(2);
  const scenarioName = process.env.BENCH_SCENARIO ?? 'putrecord';
  const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const a = await startSide(specA, scenarioName);
  const b = await startSide(specB, scenarioName);
  try {
    const floorSwitches = [process.env.FLOOR_WRITES && `FLOOR_WRITES=${process.env.FLOOR_WRITES}`, process.env.FLOOR_WORK && `FLOOR_WORK=${process.env.FLOOR_WORK}`].filter(Boolean).join(' ');
    console.log(
      `A/B ${scenarioName}: A = ${a.name}, B = ${b.name}${floorSwitches && ` (${floorSwitches})`}; ${rounds} rounds of ${seconds} s after ${WARM_UP_SECONDS} s of warm-up; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const side of [a, b]) await side.scenario(side.target.endpoint, { seconds: WARM_UP_SECONDS });
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [a, b] : [b, a];
      const lines: string[] = [];
      for (const side of order) lines.push(`${side === a ? 'A' : 'B'} ${await measure(side, seconds)}`);
      const ratio = a.firsts.at(-1)! / b.firsts.at(-1)!;
      ratios.push(ratio);
      console.log(`round ${round + 1}: ${lines.join(' | ')} | A/B ${ratio.toFixed(2)}`);
    }
    const range = (values: number[]) => `${Math.round(Math.min(...values)).toLocaleString('en-US')}–${Math.round(Math.max(...values)).toLocaleString('en-US')}`;
    console.log(`A ${range(a.firsts)}, B ${range(b.firsts)}; A/B ${spread(ratios)}; load average ${loadavg()[0]!.toFixed(1)}`);
    const cpu = (side: Side) => spread(side.cpuPerUnit).replace(/\(median ([\d.]+)\)/, '(median $1 µs)');
    console.log(`server CPU per unit: A ${cpu(a)}, B ${cpu(b)}`);
  } finally {
    await Promise.all([a.target.stop(), b.target.stop()]);
  }
}

await main();
