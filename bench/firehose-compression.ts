/**
 * Firehose object bodies (FIREHOSE-SPEC §9): MB/s of compress() per CompressionFormat on 64 MiB of
 * JSON lines handed over as records (one chunk per record, as the delivery engine does), and of
 * decompress(). Run: `npx tsc -p . && node dist/bench/firehose-compression.js [MiB] [rounds] [varied|uniform]`
 * ("varied": log-like records with random words and ids; "uniform": one record shape with counters,
 * which deflate handles much faster).
 * MB = 10^6 bytes of input (uncompressed) per second of wall time, best of `rounds`; "per CPU-s"
 * divides by the process's CPU time instead (all threads), which a machine shared with other
 * work disturbs less.
 */
import { compress, decompress, COMPRESSION_FORMATS } from '../src/firehose/delivery/compression.js';

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 3);
const dataset = process.argv[4] === 'uniform' ? 'uniform' : 'varied';

/** JSON lines with the variety of a real log stream: ids, timestamps, levels, free text. */
function jsonLines(totalBytes: number): Buffer[] {
  const levels = ['INFO', 'WARN', 'ERROR', 'DEBUG'];
  const words = ['order', 'created', 'payment', 'accepted', 'customer', 'shipped', 'latency', 'retry', 'cache', 'miss', 'eu-west-1', 'checkout'];
  const records: Buffer[] = [];
  let bytes = 0;
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; bytes < totalBytes; i++) {
    const text = Array.from({ length: 4 + Math.floor(random() * 8) }, () => words[Math.floor(random() * words.length)]).join(' ');
    const line = JSON.stringify({
      id: i,
      ts: 1_700_000_000_000 + i * 13,
      level: levels[Math.floor(random() * levels.length)],
      customerId: `cust-${Math.floor(random() * 100000)}`,
      amount: Math.round(random() * 100000) / 100,
      message: text,
    }) + '\n';
    const record = Buffer.from(line);
    records.push(record);
    bytes += record.length;
  }
  return records;
}

/** One record shape, counters only. */
function uniformLines(totalBytes: number): Buffer[] {
  const records: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; bytes < totalBytes; i++) {
    const record = Buffer.from(JSON.stringify({ id: i, ts: 1_700_000_000_000 + i, level: 'INFO', customerId: `cust-${i % 1000}`, message: 'order created' }) + '\n');
    records.push(record);
    bytes += record.length;
  }
  return records;
}

const records = dataset === 'uniform' ? uniformLines(mib * 1024 * 1024) : jsonLines(mib * 1024 * 1024);
const inputBytes = records.reduce((n, r) => n + r.length, 0);
const rate = (ms: number) => ((inputBytes / 1e6) / (ms / 1000)).toFixed(0);

/** Wall and CPU milliseconds of one run. */
async function measure<T>(run: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: (cpu.user + cpu.system) / 1000, value };
}

console.log(`${records.length} records, ${(inputBytes / 1e6).toFixed(1)} MB of ${dataset} JSON lines, best of ${rounds}`);
console.log('format          compress MB/s  per CPU-s   ratio   decompress MB/s');
const row = (label: string, wall: number, cpu: number, size: number, decompressWall?: number) =>
  console.log(`${label.padEnd(15)} ${rate(wall).padStart(13)} ${rate(cpu).padStart(10)}   ${(size / inputBytes).toFixed(3).padStart(5)}   ${decompressWall === undefined ? '' : rate(decompressWall).padStart(15)}`);
for (const format of COMPRESSION_FORMATS) {
  let best = { wall: Infinity, cpu: Infinity };
  let bestDecompress = Infinity;
  let size = 0;
  for (let round = 0; round < rounds; round++) {
    const run = await measure(() => compress(format, records));
    if (run.wall < best.wall) best = run;
    size = run.value.body.length;
    const back = await measure(() => decompress(format, run.value.body));
    bestDecompress = Math.min(bestDecompress, back.wall);
    if (back.value.length !== inputBytes) throw new Error(`${format}: ${back.value.length} bytes back, ${inputBytes} expected`);
  }
  row(format, best.wall, best.cpu, size, bestDecompress);
}
// The deflate level is AWS-unknown (DEFLATE_LEVEL = 4): what the others would cost (6 = Java's default).
for (const level of [1, 5, 6]) {
  let best = { wall: Infinity, cpu: Infinity };
  let size = 0;
  for (let round = 0; round < rounds; round++) {
    const run = await measure(() => compress('GZIP', records, { deflateLevel: level }));
    if (run.wall < best.wall) best = run;
    size = run.value.body.length;
  }
  row(`GZIP level ${level}`, best.wall, best.cpu, size);
}
