import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launcherEnvironment } from './launcher.js';
import { drive } from './load.js';
import { once, prepare, WireClient } from './wire.js';

/**
 * Instructions per PutRecord, counted by valgrind's callgrind in the server process (all its
 * threads: the event loop, LMDB's writer, V8's compiler and GC helpers), for two servers:
 *
 *   node dist/bench/instructions.js [A] [B]      (A, B: millrace, floor, or another build's dist)
 *
 * On a shared machine CPU time per request moves with the load of other processes (caches, the
 * other hyperthread, frequency); an instruction count does not, so a change of a few percent shows
 * as such. It is not time: an instruction of a system call or a cache miss costs more than one of
 * JSON.parse, so ab.ts stays the measure of throughput and this the measure of work.
 *
 *   BENCH_REQUESTS         PutRecords counted per server (default 4000)
 *   BENCH_WARMUP_REQUESTS  PutRecords sent first, uncounted, so that V8 has optimized the hot path (default 6000)
 *   FLOOR_WRITES, FLOOR_WORK  as for ab.ts (bench/floor.ts)
 *   BENCH_CALLGRIND_KEEP  keep callgrind's output (and V8's perf map, --perf-basic-prof, which names
 *                         the JIT-compiled functions callgrind sees as bare addresses) and print where
 *
 * Load as in the putrecord scenario: 100-byte records, 256 partition keys, 4 shards, 32 in flight.
 */
const CHILD = fileURLToPath(new URL('./target-child.js', import.meta.url));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const WARMUP = Number(process.env.BENCH_WARMUP_REQUESTS ?? 6000);
const PRODUCERS = 32;
const SHARDS = 4;
const VARIANTS = 256;
const DATA_BYTES = 100;
const READY_TIMEOUT_MS = 300_000;
const KEEP = process.env.BENCH_CALLGRIND_KEEP !== undefined;

interface Valgrinded {
  child: ChildProcess;
  endpoint: string;
  outDir: string;
}

function start(spec: string): Promise<Valgrinded> {
  const kind = spec === 'floor' ? 'floor' : 'millrace';
  const script = spec === 'millrace' || spec === 'floor' ? CHILD : join(resolve(spec), 'bench', 'target-child.js');
  const outDir = mkdtempSync(join(tmpdir(), 'millrace-callgrind-'));
  // Instrumentation starts switched off (the program runs faster until it is on); the measured
  // window is delimited with callgrind_control's zero and dump.
  const child = fork(script, [kind], {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--quiet', '--instr-atstart=no', `--callgrind-out-file=${join(outDir, 'callgrind.out.%p')}`, process.execPath, ...(KEEP ? ['--perf-basic-prof'] : [])],
    env: launcherEnvironment(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec} did not start under valgrind within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`${spec} exited with ${code} before it was ready`)));
    child.once('message', (message: { endpoint: string }) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolvePromise({ child, endpoint: message.endpoint, outDir });
    });
  });
}

function stop(side: Valgrinded): Promise<void> {
  return new Promise((resolvePromise) => {
    side.child.once('exit', () => resolvePromise());
    side.child.send({ type: 'stop' });
  });
}

/** Total instructions (Ir) of the newest dump in `dir`. */
function dumpedInstructions(dir: string): number {
  const files = readdirSync(dir).filter((f) => f.startsWith('callgrind.out.')).sort();
  let total = 0;
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const summary = /^(?:summary|totals): (\d+)/m.exec(text);
    if (summary) total = Math.max(total, Number(summary[1]));
  }
  return total;
}

async function load(endpoint: string, stream: string, requests: number): Promise<void> {
  const client = new WireClient(endpoint, PRODUCERS);
  try {
    const bodies = Array.from({ length: VARIANTS }, (_, i) =>
      prepare('PutRecord', { StreamName: stream, Data: randomBytes(DATA_BYTES).toString('base64'), PartitionKey: `pk-${i}-${randomBytes(4).toString('hex')}` }),
    );
    let next = 0;
    const result = await drive({ concurrency: PRODUCERS, seconds: 1e6, maxRequests: requests }, async () => {
      const reply = await client.send(bodies[next++ % VARIANTS]!);
      if (reply.status !== 200) throw new Error(`PutRecord: HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
      return { units: 1, bytes: DATA_BYTES };
    });
    if (result.errors) throw new Error(`${result.errors} failed PutRecords, first: ${result.firstError}`);
  } finally {
    client.close();
  }
}

async function measure(spec: string): Promise<number> {
  const side = await start(spec);
  try {
    const stream = 'bench-instructions';
    if (spec !== 'floor') {
      const client = new WireClient(side.endpoint, 1);
      await once(client, 'CreateStream', { StreamName: stream, ShardCount: SHARDS });
      client.close();
    }
    await load(side.endpoint, stream, WARMUP);
    const control = (option: string) => execFileSync('callgrind_control', [option, String(side.child.pid)], { stdio: 'ignore' });
    control('--instr=on');
    control('-z');
    await load(side.endpoint, stream, REQUESTS);
    control('-d');
    return dumpedInstructions(side.outDir) / REQUESTS;
  } finally {
    await stop(side);
    if (KEEP) console.log(`${spec}: callgrind output in ${side.outDir}, perf map /tmp/perf-${side.child.pid}.map`);
    else rmSync(side.outDir, { recursive: true, force: true });
  }
}

const [specA = 'millrace', specB = 'floor'] = process.argv.slice(2);
const floorSwitches = [process.env.FLOOR_WRITES && `FLOOR_WRITES=${process.env.FLOOR_WRITES}`, process.env.FLOOR_WORK && `FLOOR_WORK=${process.env.FLOOR_WORK}`].filter(Boolean).join(' ');
console.log(`instructions per PutRecord (callgrind, ${REQUESTS} counted after ${WARMUP}, ${PRODUCERS} in flight)${floorSwitches && `, ${floorSwitches}`}`);
const a = await measure(specA);
console.log(`A ${specA}: ${Math.round(a).toLocaleString('en-US')} instructions/req`);
const b = await measure(specB);
console.log(`B ${specB}: ${Math.round(b).toLocaleString('en-US')} instructions/req`);
console.log(`A/B ${(a / b).toFixed(3)}`);
