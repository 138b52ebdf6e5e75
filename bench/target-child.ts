import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startMillrace } from '../src/server.js';
import { startFloor } from './floor.js';

/**
 * One server under test in its own process, so that it has its own event loop (on a 2-core machine
 * the load generator gets the other core) and its own RSS. Talks to bench/targets.ts over IPC.
 */
export type TargetKind = 'millrace' | 'kinesalite' | 'floor';

/** Same lifecycle timings for both: streams are usable at once. */
const LIFECYCLE = { createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 };

/** Linux splits RSS into anonymous memory and mapped file pages (LMDB's data file is mapped). */
function residentParts(): string {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    return ['RssAnon', 'RssFile', 'RssShmem'].map((field) => new RegExp(`${field}:\\s+(\\d+ kB)`).exec(status)?.[0].replace(/\s+/, ' ') ?? '').join(', ');
  } catch {
    return '';
  }
}

async function main(kind: TargetKind): Promise<void> {
  let close: () => Promise<void>;
  let endpoint: string;
  if (kind === 'millrace') {
    // Durable LMDB store in a fresh directory, as a user would run it.
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-'));
    const millrace = await startMillrace({ ...LIFECYCLE, host: '127.0.0.1', port: 0, dataDir, memory: false, logLevel: 'silent' });
    endpoint = millrace.endpoint;
    close = async () => {
      await millrace.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else if (kind === 'floor') {
    // bench/floor.ts: bare node:http + LMDB, the same durable store options in a fresh directory.
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-floor-'));
    const floor = await startFloor(dataDir);
    endpoint = floor.endpoint;
    close = async () => {
      await floor.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else {
    // kinesalite keeps everything in memory (memdown) when given no path. Loaded only here, so
    // that the other servers' processes do not carry it.
    const { default: kinesalite } = await import('kinesalite');
    const server = kinesalite(LIFECYCLE);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  }
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'cpu') {
      process.send!({ type: 'cpu', usage: process.cpuUsage() });
    } else if (message.type === 'rss') {
      process.send!({ type: 'rss', usage: process.memoryUsage(), status: residentParts() });
    } else if (message.type === 'stop') {
      await close();
      // A normal exit, so that --cpu-prof writes its profile.
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', endpoint });
}

main(process.argv[2] as TargetKind).catch((err) => {
  console.error(err);
  process.exit(1);
});
