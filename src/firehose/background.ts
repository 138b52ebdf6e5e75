import type { Logger } from 'pino';
import type { Lease, Leases } from '../leases/leases.js';
import type { Firehose } from './context.js';
import { pause } from '../leases/pause.js';

/** How often due transitions (CREATING → ACTIVE, DELETING → gone, ENABLING → ENABLED) are completed. */
export const LIFECYCLE_SWEEP_INTERVAL_MS = 1_000;
export const LIFECYCLE_LEASE = 'firehose/lifecycle';

/**
 * Reading a delivery stream completes its due transitions; this sweep reads every stream once a
 * second so that a stream deleted with --delete-delivery-stream-ms is purged (its ingest log
 * dropped, the 5,000 quota freed) even when nobody describes or lists it. On one node at a time;
 * overlapping sweeps are harmless (compare-and-set).
 */
export function startLifecycleSweep(firehose: Firehose, log: Logger, leases: Leases): { stop(): Promise<void> } {
  leases.register(LIFECYCLE_LEASE, async ({ signal }: Lease) => {
    while (!signal.aborted) {
      await firehose.streams.listAll().catch((err) => log.warn({ err }, 'Firehose lifecycle sweep failed'));
      await pause(LIFECYCLE_SWEEP_INTERVAL_MS, signal);
    }
  });
  return { stop: () => leases.unregister(LIFECYCLE_LEASE) };
}

