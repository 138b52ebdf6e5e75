import type { Logger } from 'pino';
import type { Kinesis } from './context.js';
import type { Lease, Leases } from '../leases/leases.js';
import { shardLogName } from './domain/stream.js';
import { scaleOnDemandStreams } from './domain/on-demand.js';
import { pause } from '../leases/pause.js';

/** How often transitions are completed and retention is enforced on disk. */
export const SWEEP_INTERVAL_MS = 1_000;

/**
 * One lease for the whole sweep, not one per account and region: a sweep is one listing of the
 * streams and a cheap call per shard, and the accounts and regions are not known in advance (they
 * exist as streams are created), so splitting it would add discovery for no gain.
 */
export const MAINTENANCE_LEASE = 'kinesis/maintenance';

/**
 * Work nobody asks for: completing due lifecycle transitions (reading a stream settles it),
 * trimming records past retention and on-demand scaling. Reads never return expired records
 * whether or not a sweep ran; the sweep only gives the space back. It runs on the one node that
 * holds MAINTENANCE_LEASE. It keeps no progress: every sweep starts from the streams as stored, and
 * two sweeps overlapping for a moment (a holder that has not yet noticed its loss) do no harm, as
 * trimming is idempotent and scaling changes a stream by compare-and-set.
 */
export function startBackgroundWork(kinesis: Kinesis, log: Logger, leases: Leases): { stop(): Promise<void> } {
  const sweep = async (signal: AbortSignal) => {
    const now = Date.now();
    const streams = await kinesis.streams.listAll();
    for (const stream of streams) {
      if (signal.aborted) return;
      const horizon = now - stream.retentionHours * 3_600_000;
      for (const shard of stream.shards) await kinesis.store.records.trim(shardLogName(stream, shard), horizon);
    }
    if (!signal.aborted) await scaleOnDemandStreams(kinesis, streams, now, log);
  };
  leases.register(MAINTENANCE_LEASE, async ({ signal }: Lease) => {
    while (!signal.aborted) {
      await sweep(signal).catch((err) => log.warn({ err }, 'background sweep failed'));
      await pause(SWEEP_INTERVAL_MS, signal);
    }
  });
  return { stop: () => leases.unregister(MAINTENANCE_LEASE) };
}

