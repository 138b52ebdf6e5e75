/**
 * The file object store against its floor: 8 MiB objects put and got one after the other, beside
 * raw file writes with the same durability (write, fdatasync, rename, directory fsync) and raw
 * reads. Run: `npx tsc -p . && node dist/bench/objects.js [dir] [objects]` (dir defaults to a temp
 * dir; use one on the disk that holds the data dir). MB = 10^6 bytes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsObjectStore } from '../src/objects/fs-objects.js';
import { syncDirectory } from '../src/objects/fs-layout.js';

const OBJECT_BYTES = 8 * 1024 * 1024;
/** Chunk size of a streamed body, as an HTTP request body arrives. */
const STREAM_CHUNK_BYTES = 64 * 1024;

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'millrace-objects-bench-'));
const count = Number(process.argv[3] ?? 40);
const data = Buffer.alloc(OBJECT_BYTES);
for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);

const rate = (bytes: number, ms: number) => `${((bytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s`;

async function timed(label: string, run: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await run(i);
  const ms = performance.now() - started;
  console.log(`${label.padEnd(56)} ${rate(count * OBJECT_BYTES, ms).padStart(10)}  (${(ms / count).toFixed(1)} ms per object)`);
}

function chunks(): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += STREAM_CHUNK_BYTES) yield data.subarray(at, at + STREAM_CHUNK_BYTES);
    })(),
  );
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return bytes;
}

try {
  const raw = join(dir, 'raw');
  await (await import('node:fs/promises')).mkdir(raw);
  console.log(`${count} objects of 8 MiB in ${dir}`);
  await timed('floor: write + fdatasync + rename + dir fsync', async (i) => {
    const handle = await open(join(raw, 'tmp'), 'w');
    await handle.writeFile(data);
    await handle.datasync();
    await handle.close();
    await rename(join(raw, 'tmp'), join(raw, `o${i % 4}`));
    await syncDirectory(raw);
  });
  await timed('floor: the same plus MD5 of the data', async (i) => {
    createHash('md5').update(data).digest();
    const handle = await open(join(raw, 'tmp'), 'w');
    await handle.writeFile(data);
    await handle.datasync();
    await handle.close();
    await rename(join(raw, 'tmp'), join(raw, `o${i % 4}`));
    await syncDirectory(raw);
  });
  await timed('floor: readFile', async (i) => {
    await readFile(join(raw, `o${i % 4}`));
  });

  const store = await FsObjectStore.open(join(dir, 's3'));
  await store.createBucket('bench', 'us-east-1');
  await timed('fs store: putObject (one Buffer)', async (i) => {
    await store.putObject('bench', `buffer/${i % 4}`, data, { contentType: 'application/octet-stream' });
  });
  await timed('fs store: putObject (streamed in 64 KiB chunks)', async (i) => {
    await store.putObject('bench', `stream/${i % 4}`, chunks(), { contentType: 'application/octet-stream' });
  });
  await timed('fs store: getObject (streamed out)', async (i) => {
    const bytes = await drain((await store.getObject('bench', `stream/${i % 4}`)).body);
    if (bytes !== OBJECT_BYTES) throw new Error(`read ${bytes} bytes`);
  });
  await timed('fs store: 4 concurrent streamed puts (per object: ÷4 ms)', async (i) => {
    if (i % 4 !== 0) return;
    await Promise.all([0, 1, 2, 3].map((j) => store.putObject('bench', `concurrent/${j}`, chunks(), {})));
  });
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
