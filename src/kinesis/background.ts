import type { Logger } from 'pino';
import type { Kinesis } from './context.js';
import { shardLogName } from './domain/stream.js';
import { scaleOnDemandStreams } from './domain/on-demand.js';

/** How often transitions are completed and retention is enforced on disk. */
export const SWEEP_INTERVAL_MS = 1_000;

/**
 * Work nobody asks for: completing due lifecycle transitions (reading a stream settles it) and
 * trimming records past retention. Reads never return expired records whether or not a sweep ran;
 * the sweep only gives the space back.
 */
export function startBackgroundWork(kinesis: Kinesis, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    const now = Date.now();
    const streams = await kinesis.streams.listAll();
    for (const stream of streams) {
      const horizon = now - stream.retentionHours * 3_600_000;
      for (const shard of stream.shards) await kinesis.store.records.trim(shardLogName(stream, shard), horizon);
    }
    await scaleOnDemandStreams(kinesis, streams, now, log);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .catch((err) => log.warn({ err }, 'background sweep failed'))
      .finally(() => (running = undefined));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
