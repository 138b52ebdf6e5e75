import type { Logger } from 'pino';
import type { Lease, Leases } from '../leases/leases.js';
import type { VideoContext } from './context.js';
import { pause } from '../leases/pause.js';

/** How often due transitions (CREATING → ACTIVE, UPDATING → ACTIVE, DELETING → gone) are completed. */
export const LIFECYCLE_SWEEP_INTERVAL_MS = 1_000;
export const LIFECYCLE_LEASE = 'video/lifecycle';

/**
 * Reading a stream or channel completes its due transitions; this sweep reads every one once a
 * second, so that a stream deleted with --delete-video-stream-ms has its media dropped and its
 * name freed even when nobody describes or lists it. On one node at a time; overlapping sweeps are
 * harmless (compare-and-set).
 */
export function startVideoLifecycleSweep(video: VideoContext, log: Logger, leases: Leases): { stop(): Promise<void> } {
  leases.register(LIFECYCLE_LEASE, async ({ signal }: Lease) => {
    while (!signal.aborted) {
      await Promise.all([video.streams.listAll(), video.channels.listAll()]).catch((err) => log.warn({ err }, 'Video lifecycle sweep failed'));
      await pause(LIFECYCLE_SWEEP_INTERVAL_MS, signal);
    }
  });
  return { stop: () => leases.unregister(LIFECYCLE_LEASE) };
}

