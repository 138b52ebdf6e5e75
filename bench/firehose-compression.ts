/**
 * Firehose object bodies (FIREHOSE-SPEC §9): MB/s of compress() per CompressionFormat on 64 MiB of
 * JSON lines handed over as records (one chunk per record, as the delivery engine does), and of
 * decompress(). Run: `npx tsc -p . && node dist/bench/firehose-compression.js [MiB] [rounds]`.
 * MB = 10^6 bytes of input (uncompressed) per second; the best of `rounds` is printed.
 */
import { compress, decompress, COMPRESSION_FORMATS } from '../src/firehose/delivery/compression.js';

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 3);

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

const records = jsonLines(mib * 1024 * 1024);
const inputBytes = records.reduce((n, r) => n + r.length, 0);
const rate = (ms: number) => ((inputBytes / 1e6) / (ms / 1000)).toFixed(0);

console.log(`${records.length} records, ${(inputBytes / 1e6).toFixed(1)} MB of JSON lines, best of ${rounds}`);
console.log('format          compress MB/s   ratio   decompress MB/s');
for (const format of COMPRESSION_FORMATS) {
  let bestCompress = Infinity;
  let bestDecompress = Infinity;
  let size = 0;
  for (let round = 0; round < rounds; round++) {
    let started = performance.now();
    const { body } = await compress(format, records);
    bestCompress = Math.min(bestCompress, performance.now() - started);
    size = body.length;
    started = performance.now();
    const back = await decompress(format, body);
    bestDecompress = Math.min(bestDecompress, performance.now() - started);
    if (back.length !== inputBytes) throw new Error(`${format}: ${back.length} bytes back, ${inputBytes} expected`);
  }
  console.log(`${format.padEnd(15)} ${rate(bestCompress).padStart(13)}   ${(size / inputBytes).toFixed(3).padStart(5)}   ${rate(bestDecompress).padStart(15)}`);
}
// The deflate level is AWS-unknown (DEFLATE_LEVEL = Java's default 6): what the others would cost.
for (const level of [1, 4, 5]) {
  let best = Infinity;
  let size = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const { body } = await compress('GZIP', records, { deflateLevel: level });
    best = Math.min(best, performance.now() - started);
    size = body.length;
  }
  console.log(`${`GZIP level ${level}`.padEnd(15)} ${rate(best).padStart(13)}   ${(size / inputBytes).toFixed(3).padStart(5)}`);
}
