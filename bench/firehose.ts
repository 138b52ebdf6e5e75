/**
 * Firehose data path against the issue's targets, in one run:
 *  1. PutRecordBatch 500 × 100 B durable records/s, Millrace beside moto_server's Firehose (when
 *     `moto_server` is on PATH and Millrace serves Firehose.PutRecordBatch; otherwise the durable
 *     append PutRecordBatch is built on is measured and said so);
 *  2. delivery to the embedded object store, MB/s, uncompressed and GZIP, of JSON records;
 *  3. zero buffering: put → object visible, p50/p99;
 *  4. peak RSS while the bytes of `--backlog-mb` (default 1024; the issue's 5 GB: 5120) flow with
 *     the bucket missing, then created.
 * Run: `npx tsc -p . && node dist/bench/firehose.js [--backlog-mb N] [--delivery-mb N] [--rounds N] [--size-mb N]
 *   [--only put|delivery|rss] [--marks]`. Delivery runs in rounds, each beside its floor (putObject of the same
 *   records in objects of the same size; for GZIP, the same deflate first). Put runs print each side's CPU per batch. MB = 10^6 bytes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand, CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { startMillrace, type Millrace } from '../src/server.js';
import { Target } from './targets.js';
import { prepare, WireClient } from './wire.js';
import { compress } from '../src/firehose/delivery/compression.js';
import { drive } from './load.js';
import { DESTINATION_ID, deliveryStreamArn, deliveryStreamKey, ingestLogName, progressKey, type DeliveryStreamDocument } from '../src/firehose/domain/delivery-stream.js';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const BACKLOG_MB = argument('--backlog-mb', 1024);
const DELIVERY_MB = argument('--delivery-mb', 512);
const PUT_SECONDS = argument('--put-seconds', 5);
const DELIVERY_ROUNDS = argument('--rounds', 3);
const DELIVERY_SIZE_MB = argument('--size-mb', 64);
/** GZIP (and its floor, zlib of the same records + putObject) runs in the first round only unless `--gzip-every-round`. */
const DELIVERY_GZIP_EVERY_ROUND = process.argv.includes('--gzip-every-round');
/** `--marks`: hrtime (µs) at each delivery's start and end, to cut a --cpu-prof profile to them. */
const MARKS = process.argv.includes('--marks');
const MIB = 1024 * 1024;
/** `--only delivery` runs just part 2 (profiling). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A JSON line of about `bytes` bytes (varied, as real events are). */
function jsonRecord(i: number, bytes = 100): Buffer {
  const head = `{"id":${i},"user":"u${(i * 7919) % 100_000}","ts":${1_700_000_000_000 + i},"msg":"`;
  const fill = Math.max(0, bytes - head.length - 3);
  let text = '';
  while (text.length < fill) text += `event ${(i * 2654435761) >>> 0} `;
  return Buffer.from(head + text.slice(0, fill) + '"}\n');
}

let streamCount = 0;
async function createStream(server: Millrace, bucket: string, hints: { SizeInMBs: number; IntervalInSeconds: number }, compression = 'UNCOMPRESSED', status: DeliveryStreamDocument['status'] = 'ACTIVE') {
  const name = `bench-${++streamCount}`;
  const doc: DeliveryStreamDocument = {
    account: ACCOUNT,
    region: REGION,
    name,
    arn: deliveryStreamArn('aws', REGION, ACCOUNT, name),
    status,
    type: 'DirectPut',
    version: 1,
    createTimestamp: Date.now(),
    incarnation: `${name}-${Date.now().toString(36)}`,
    destination: {
      DestinationId: DESTINATION_ID,
      ExtendedS3DestinationDescription: { BucketARN: `arn:aws:s3:::${bucket}`, BufferingHints: hints, CompressionFormat: compression, Prefix: `${name}/`, S3BackupMode: 'Disabled' },
    },
    secrets: {},
    tags: [],
  };
  await server.store.meta.put(deliveryStreamKey(ACCOUNT, REGION, name), doc, 0);
  await server.delivery.rescan();
  return doc;
}

async function setStatus(server: Millrace, doc: DeliveryStreamDocument, status: DeliveryStreamDocument['status']) {
  const key = deliveryStreamKey(ACCOUNT, REGION, doc.name);
  const entry = (await server.store.meta.get<DeliveryStreamDocument>(key))!;
  await server.store.meta.put(key, { ...entry.value, status }, entry.revision);
}

async function deliveredIndex(server: Millrace, doc: DeliveryStreamDocument): Promise<number> {
  const entry = await server.store.meta.get<{ value: { index: number } }>(progressKey(doc, 'delivered'));
  return entry?.value.value.index ?? 0;
}

async function appendMB(server: Millrace, doc: DeliveryStreamDocument, mb: number, recordBytes = 1000, onBatch?: () => void): Promise<number> {
  const batch = Array.from({ length: 500 }, (_, i) => ({ partitionKey: '', data: jsonRecord(i, recordBytes) }));
  let written = 0;
  let records = 0;
  while (written < mb * 1e6) {
    await server.store.records.append(ingestLogName(doc), batch);
    written += batch.length * recordBytes;
    records += batch.length;
    onBatch?.();
  }
  return records;
}

const PUT_BENCH_STREAM = `put-bench-${Date.now()}`;

async function putRecordBatchRate(endpoint: string, label: string, create: boolean): Promise<number | string> {
  const client = new FirehoseClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
  try {
    const name = PUT_BENCH_STREAM;
    if (create) {
      // moto writes each put to its own S3 at once: the bucket must exist there (Millrace's may be missing).
      await fetch(`${endpoint}/put-bench`, { method: 'PUT', headers: { Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0` } }).catch(() => undefined);
      await client.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: name,
          ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::put-bench', RoleARN: 'arn:aws:iam::000000000000:role/firehose' },
        }),
      );
      await sleep(200);
    }
    const Records = Array.from({ length: 500 }, (_, i) => ({ Data: new Uint8Array(jsonRecord(i, 100)) }));
    let records = 0;
    const until = performance.now() + PUT_SECONDS * 1000;
    const started = performance.now();
    // Eight callers at once, as a producer fleet would.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) {
          const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records }));
          records += 500 - (out.FailedPutCount ?? 0);
        }
      }),
    );
    return records / ((performance.now() - started) / 1000);
  } catch (err) {
    return `${label}: ${(err as Error).name}: ${(err as Error).message.slice(0, 80)}`;
  } finally {
    client.destroy();
  }
}

/**
 * The same batches sent as pre-encoded JSON 1.1 over bench/wire.ts's HTTP/1.1 client (as the
 * Kinesis bench sends PutRecords), so that the server and not the SDK client is measured. The
 * stream must exist (putRecordBatchRate created it).
 */
/** CPU time (user + system) of another process so far, in µs (Linux: /proc/<pid>/stat, in clock ticks). */
function processCpuUs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // After "(comm) ": state is field 3, utime 14 and stime 15 (proc(5)); CLK_TCK is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/**
 * `serverPid`: the server's process, to print the CPU each side spent per batch beside the rate (on
 * a shared 2-core machine, which side costs more per batch tells which one limits the rate).
 */
async function putRecordBatchWireRate(endpoint: string, name: string, kind: 'raw' | 'node-http', serverPid?: number, label = ''): Promise<number | string> {
  const client = new WireClient(endpoint, 8, kind);
  const clientCpu = process.cpuUsage();
  const serverCpu = serverPid ? processCpuUs(serverPid) : undefined;
  try {
    const base = prepare('PutRecordBatch', {
      DeliveryStreamName: name,
      Records: Array.from({ length: 500 }, (_, i) => ({ Data: jsonRecord(i, 100).toString('base64') })),
    });
    // Scoped to `firehose` as the SDK signs it: moto_server routes by the credential scope (a
    // `kinesis` scope sends the call to its Kinesis backend, which answers 500).
    const authorization = base.headers.Authorization.replace('/kinesis/', '/firehose/');
    const request = { ...base, headers: { ...base.headers, Authorization: authorization, 'X-Amz-Target': `Firehose_20150804.PutRecordBatch` } };
    const result = await drive({ concurrency: 8, seconds: PUT_SECONDS, maxRequests: 1e7 }, async () => {
      const reply = await client.send(request);
      const failed = reply.status === 200 ? /"FailedPutCount":\s*(\d+)/.exec(reply.body.toString('latin1')) : null;
      if (!failed) throw new Error(`PutRecordBatch: HTTP ${reply.status} ${reply.body.toString('latin1').slice(0, 200)}`);
      return { units: 500 - Number(failed[1]), bytes: 0 };
    });
    const clientUs = (({ user, system }) => user + system)(process.cpuUsage(clientCpu));
    const serverUs = serverPid && serverCpu !== undefined ? processCpuUs(serverPid)! - serverCpu : undefined;
    const batches = result.units / 500;
    console.log(`  ${label} ${kind}: ${(result.units / result.seconds).toFixed(0)} records/s; CPU per 500-record batch: client ${(clientUs / batches).toFixed(0)} µs, server ${serverUs === undefined ? '?' : (serverUs / batches).toFixed(0)} µs`);
    if (result.errors > 0) return `${result.errors} failed requests, first: ${result.firstError}`;
    return result.units / result.seconds;
  } catch (err) {
    return `${(err as Error).message.slice(0, 120)}`;
  } finally {
    client.close();
  }
}

async function startMoto(): Promise<{ endpoint: string; pid: number; stop(): void } | undefined> {
  const port = await freePort();
  const child = spawn('moto_server', ['-p', String(port), '-H', '127.0.0.1'], { stdio: 'ignore' });
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    setTimeout(() => resolve(false), 200);
  });
  if (failed) return undefined;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/moto-api/`);
      return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGTERM') };
    } catch {
      await sleep(100);
    }
  }
  child.kill('SIGKILL');
  return undefined;
}

/** Anonymous resident memory (Linux): RSS less the file pages LMDB maps, which the kernel reclaims at will. */
function rssAnon(): number {
  try {
    const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-firehose-bench-'));
  const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const results: string[] = [];
  try {
    // 1. PutRecordBatch beside moto.
    if (!ONLY || ONLY === 'put') {
    // Millrace in a process of its own (bench/target-child.ts, as the Kinesis bench runs it), so the
    // SDK client's own work (building, signing and parsing 500-record batches) has the other core,
    // as moto's server has its own process too.
    const target = await Target.start('millrace');
    let millraceWire = 'not measured' as number | string;
    let millraceNodeHttp = 'not measured' as number | string;
    const millracePut = await putRecordBatchRate(target.endpoint, 'Millrace', true)
      .then(async (rate) => {
        if (typeof rate === 'number') {
          millraceWire = await putRecordBatchWireRate(target.endpoint, PUT_BENCH_STREAM, 'raw', target.pid, 'Millrace');
          millraceNodeHttp = await putRecordBatchWireRate(target.endpoint, PUT_BENCH_STREAM, 'node-http', target.pid, 'Millrace');
        }
        return rate;
      })
      .finally(() => target.stop());
    if (typeof millracePut === 'string') {
      // Firehose's operations not served by this build: the durable append they are made of.
      const doc = await createStream(server, 'put-bench', { SizeInMBs: 128, IntervalInSeconds: 900 }, 'UNCOMPRESSED', 'CREATING');
      const batch = Array.from({ length: 500 }, (_, i) => ({ partitionKey: '', data: jsonRecord(i, 100) }));
      let records = 0;
      const until = performance.now() + PUT_SECONDS * 1000;
      const started = performance.now();
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (performance.now() < until) records += (await server.store.records.append(ingestLogName(doc), batch)).length;
      }));
      results.push(`PutRecordBatch 500 x 100 B: not served by this build (${millracePut}); durable ingest append alone: ${(records / ((performance.now() - started) / 1000)).toFixed(0)} records/s`);
    } else {
      results.push(`PutRecordBatch 500 x 100 B, Millrace:      ${millracePut.toFixed(0)} records/s (JS SDK client)`);
      results.push(`PutRecordBatch 500 x 100 B, Millrace:      ${typeof millraceWire === 'number' ? `${millraceWire.toFixed(0)} records/s` : millraceWire} (pre-encoded over the raw HTTP/1.1 client, as the Kinesis bench)`);
      results.push(`PutRecordBatch 500 x 100 B, Millrace:      ${typeof millraceNodeHttp === 'number' ? `${millraceNodeHttp.toFixed(0)} records/s` : millraceNodeHttp} (pre-encoded over node:http)`);
    }
    const moto = await startMoto();
    if (moto) {
      const motoPut = await putRecordBatchRate(moto.endpoint, 'moto', true);
      // The same two pre-encoded clients as for Millrace. moto_server's Werkzeug answers
      // `Connection: close`: the raw client then opens a new connection per request (node:http's does too).
      const motoWire = typeof motoPut === 'number' ? await putRecordBatchWireRate(moto.endpoint, PUT_BENCH_STREAM, 'raw', moto.pid, 'moto_server') : 'not measured';
      const motoNodeHttp = typeof motoPut === 'number' ? await putRecordBatchWireRate(moto.endpoint, PUT_BENCH_STREAM, 'node-http', moto.pid, 'moto_server') : 'not measured';
      moto.stop();
      const ratio = (a: number | string, b: number | string) => (typeof a === 'number' && typeof b === 'number' ? ` (Millrace ${(a / b).toFixed(1)}x)` : '');
      const rate = (r: number | string) => (typeof r === 'number' ? `${r.toFixed(0)} records/s` : r);
      results.push(typeof motoPut === 'string' ? `moto_server: ${motoPut}` : `PutRecordBatch 500 x 100 B, moto_server:   ${motoPut.toFixed(0)} records/s (JS SDK client)${ratio(millracePut, motoPut)}`);
      results.push(`PutRecordBatch 500 x 100 B, moto_server:   ${rate(motoWire)} (pre-encoded over the raw HTTP/1.1 client)${ratio(millraceWire, motoWire)}`);
      results.push(`PutRecordBatch 500 x 100 B, moto_server:   ${rate(motoNodeHttp)} (pre-encoded over node:http)${ratio(millraceNodeHttp, motoNodeHttp)}`);
    } else results.push('moto_server: not found on PATH');
    console.log(results.join('\n'));
    }

    // 2. Delivery throughput, in rounds, each beside its floor: the object store's putObject of
    // the same bytes in objects of the same size, no Firehose. Wall MB/s (the machine is shared)
    // and MB per CPU-second of the whole process (all threads), which other load disturbs less.
    if (!ONLY || ONLY === 'delivery') {
    await server.objects.createBucket('delivery-bench', REGION);
    await server.objects.createBucket('floor-bench', REGION);
    const objectBytes = DELIVERY_SIZE_MB * MIB;
    // One object's worth of the very records delivered, back to back.
    const floorBody = Buffer.alloc(objectBytes);
    for (let at = 0, i = 0; at < objectBytes; i = (i + 1) % 500) at += jsonRecord(i, 1000).copy(floorBody, at);
    const rows: Record<string, { wall: number[]; cpu: number[] }> = {};
    const note = (label: string, mb: number, wallMs: number, cpuMs: number) => {
      const row = (rows[label] ??= { wall: [], cpu: [] });
      row.wall.push(mb / (wallMs / 1000));
      row.cpu.push(mb / (cpuMs / 1000));
      console.log(`  round: ${label.padEnd(24)} ${(mb / (wallMs / 1000)).toFixed(0).padStart(5)} MB/s wall ${(mb / (cpuMs / 1000)).toFixed(0).padStart(5)} MB per CPU-s`);
    };
    const objects = Math.max(1, Math.round((DELIVERY_MB * 1e6) / objectBytes));
    for (let round = 0; round < DELIVERY_ROUNDS; round++) {
      {
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < objects; i++) await server.objects.putObject('floor-bench', `r${round}/o${i}`, floorBody, { contentType: 'application/octet-stream' });
        const used = process.cpuUsage(cpu);
        note('floor putObject', (objects * objectBytes) / 1e6, performance.now() - started, (used.user + used.system) / 1000);
      }
      const gzipRound = round === 0 || DELIVERY_GZIP_EVERY_ROUND;
      if (gzipRound) {
        // GZIP's floor: the same records through the same deflate (delivery/compression.ts: level,
        // segments on the thread pool), then putObject of the result. MB counted uncompressed.
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < objects; i++) {
          const gzipped = await compress('GZIP', [floorBody]);
          await server.objects.putObject('floor-bench', `r${round}/gz${i}`, gzipped.body, { contentType: 'application/octet-stream', contentEncoding: 'gzip' });
        }
        const used = process.cpuUsage(cpu);
        note('floor gzip + putObject', (objects * objectBytes) / 1e6, performance.now() - started, (used.user + used.system) / 1000);
      }
      for (const compression of gzipRound ? ['UNCOMPRESSED', 'GZIP'] : ['UNCOMPRESSED']) {
        const doc = await createStream(server, 'delivery-bench', { SizeInMBs: DELIVERY_SIZE_MB, IntervalInSeconds: 1 }, compression, 'CREATING');
        const records = await appendMB(server, doc, DELIVERY_MB);
        if (MARKS) console.log(`mark start ${process.hrtime.bigint() / 1000n}`);
        const cpu = process.cpuUsage();
        const started = performance.now();
        await setStatus(server, doc, 'ACTIVE');
        server.delivery.wake();
        // Everything goes out now: the last, partly filled buffer does not wait for its interval.
        await server.delivery.flush(doc.account, doc.region, doc.name);
        while ((await deliveredIndex(server, doc)) < records) await sleep(2);
        const used = process.cpuUsage(cpu);
        if (MARKS) console.log(`mark end ${process.hrtime.bigint() / 1000n}`);
        note(`delivery ${compression}`, DELIVERY_MB, performance.now() - started, (used.user + used.system) / 1000);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const range = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
    for (const [label, row] of Object.entries(rows)) {
      const floorLabel = label === 'delivery GZIP' ? 'floor gzip + putObject' : 'floor putObject';
      const floor = rows[floorLabel]!;
      const ratio = label.startsWith('floor') ? '' : `, ${(median(row.wall) / median(floor.wall)).toFixed(2)}x ${floorLabel}'s wall median, ${(median(row.cpu) / median(floor.cpu)).toFixed(2)}x its MB per CPU-s`;
      const line = `${label.padEnd(24)} ${median(row.wall).toFixed(0).padStart(4)} MB/s wall median (${range(row.wall)}, ${row.wall.length} rounds), ${median(row.cpu).toFixed(0)} MB per CPU-s (${range(row.cpu)})${ratio}`;
      results.push(line);
    }
    results.push(`  (delivery: ${DELIVERY_MB} MB of 1000 B JSON records per round, SizeInMBs ${DELIVERY_SIZE_MB}; floor: ${objects} putObject of ${DELIVERY_SIZE_MB} MiB of the same records)`);
    }
    if (ONLY && ONLY !== 'rss') {
      // The medians of the rounds (the put lines were printed as they came).
      if (ONLY === 'delivery') console.log('\n' + results.join('\n'));
      return;
    }
    if (!ONLY) {
    // 3. Zero buffering latency.
    await server.objects.createBucket('zero-bench', REGION);
    const zero = await createStream(server, 'zero-bench', { SizeInMBs: 1, IntervalInSeconds: 0 });
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      const [stored] = await server.store.records.append(ingestLogName(zero), [{ partitionKey: '', data: jsonRecord(i) }]);
      for (;;) {
        const { objects } = await server.objects.listObjects('zero-bench', { prefix: `${zero.name}/`, limit: 1000 });
        if (objects.length > i) break;
        await sleep(2);
      }
      latencies.push(performance.now() - started);
      void stored;
    }
    const zeroLine = `zero buffering put -> visible: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (100 records, one at a time)`;
    results.push(zeroLine);
    console.log(zeroLine);

    }
    // 4. RSS with the destination down, then recovering.
    let peakRss = process.memoryUsage().rss;
    let peakHeap = 0;
    let peakAnon = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed + usage.external);
      peakAnon = Math.max(peakAnon, rssAnon());
    };
    const sampler = setInterval(sample, 50);
    const down = await createStream(server, 'down-bench', { SizeInMBs: 64, IntervalInSeconds: 60 });
    const started = performance.now();
    const records = await appendMB(server, down, BACKLOG_MB, 1000, sample);
    const afterIngest = peakRss;
    const heapWhileDown = peakHeap;
    const anonWhileDown = peakAnon;
    await server.objects.createBucket('down-bench', REGION);
    while ((await deliveredIndex(server, down)) < records) await sleep(50);
    clearInterval(sampler);
    const rssLine = `backlog ${BACKLOG_MB} MB with the bucket missing, then created: peak RSS ${(afterIngest / 1e6).toFixed(0)} MB while down, ${(peakRss / 1e6).toFixed(0)} MB through recovery (${((performance.now() - started) / 1000).toFixed(0)} s); JS heap + buffers peak ${(heapWhileDown / 1e6).toFixed(0)} MB while down, ${(peakHeap / 1e6).toFixed(0)} MB overall; RssAnon (RSS without the store's file-backed memory map) peak ${(anonWhileDown / 1e6).toFixed(0)} MB while down, ${(peakAnon / 1e6).toFixed(0)} MB overall`;
    results.push(rssLine);
    console.log(rssLine);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log('\n' + results.join('\n'));
}

await main();
