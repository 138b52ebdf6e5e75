/**
 * A Millrace node for the lease test: serves a NATS store (`--store` URL as the argument) on a
 * free port, runs a test work under COUNTER_LEASE that appends its term to a checkpointed list
 * every COUNTER_STEP_MS, prints `{ endpoint, node }` as one JSON line, and shuts down cleanly on
 * SIGTERM (handing its leases over).
 */
import { pathToFileURL } from 'node:url';
import { startMillrace } from '../src/server.js';
import type { Lease } from '../src/leases/leases.js';

export const COUNTER_LEASE = 'test/counter';
export const COUNTER_PROGRESS = 'lease-test/counter';
const COUNTER_STEP_MS = 200;

/** Continues the list from the last checkpoint: a lost or skipped step would show in it. */
async function count(lease: Lease): Promise<void> {
  const steps = (await lease.progress<number[]>(COUNTER_PROGRESS)) ?? [];
  while (!lease.signal.aborted) {
    steps.push(lease.term);
    await lease.checkpoint(COUNTER_PROGRESS, steps);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lease.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, COUNTER_STEP_MS);
      lease.signal.addEventListener('abort', done, { once: true });
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2];
  if (!url) throw new Error('usage: lease-child <nats://...>');
  const server = await startMillrace({ port: 0, host: '127.0.0.1', store: url, replicas: 3, logLevel: process.env.LEASE_CHILD_LOG ?? 'silent' });
  server.leases.register(COUNTER_LEASE, count);
  process.once('SIGTERM', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(JSON.stringify({ endpoint: server.endpoint, node: server.leases.node }) + '\n');
}
