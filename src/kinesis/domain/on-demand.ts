import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { logStreamEvent } from './lifecycle-log.js';
import { RESHARD, openShardsByHash, type ReshardChange, type ReshardStep } from './resharding.js';
import type { PendingChange, StreamMeta, StreamMode } from './stream.js';
import type { Streams } from './streams.js';
import { writeMeter } from './write-meter.js';

/** UpdateStreamMode's pending change (§3.23): the new mode takes effect when UPDATING ends; shards are kept. */
export interface StreamModeChange extends PendingChange {
  kind: 'stream-mode';
  mode: StreamMode;
  warmThroughputMiBps?: number;
}

export const STREAM_MODE = 'stream-mode';

export async function applyStreamMode(stream: StreamMeta, change: PendingChange, _store: Store): Promise<StreamMeta> {
  const { mode, warmThroughputMiBps } = change as StreamModeChange;
  return { ...stream, mode, warmThroughputMiBps: mode === 'ON_DEMAND' ? warmThroughputMiBps : undefined };
}

export function registerStreamMode(streams: Streams): void {
  streams.onPending(STREAM_MODE, applyStreamMode);
}

/** A stream never scales itself beyond AWS's per-stream shard ceiling (§3.13). */
const MAX_ON_DEMAND_SHARDS = 10_000;

export interface ScaleThresholds {
  onDemandScaleRecords: number;
  onDemandScaleBytes: number;
  onDemandScaleSeconds: number;
}

/**
 * On-demand scale-out (§5.3, beyond the peers): every open shard whose writes, averaged over the
 * window, exceed 1,000 records/s or 1 MiB/s (configurable) is split at the midpoint of its hash
 * range. The split goes through the same pending-reshard path as SplitShard, due at once: the
 * parent takes writes until its children's creation, and its log is sealed before a child takes
 * one, so no record is lost or reordered. Streams that are not ACTIVE (a change is pending) are
 * left for the next sweep. Each scale-out is logged at info.
 */
export async function scaleOutHotShards(
  kinesis: { config: ScaleThresholds; streams: Streams },
  stream: StreamMeta,
  now = Date.now(),
  log?: Logger,
): Promise<StreamMeta | undefined> {
  if (stream.mode !== 'ON_DEMAND' || stream.status !== 'ACTIVE') return undefined;
  const { config } = kinesis;
  const meter = writeMeter(kinesis);
  const open = openShardsByHash(stream);
  const steps: ReshardStep[] = [];
  for (const shard of open) {
    if (open.length + steps.length >= MAX_ON_DEMAND_SHARDS) break;
    const rate = meter.rate(stream, shard, now);
    if (rate.recordsPerSecond <= config.onDemandScaleRecords && rate.bytesPerSecond <= config.onDemandScaleBytes) continue;
    const start = BigInt(shard.startingHashKey);
    const end = BigInt(shard.endingHashKey);
    if (end - start < 3n) continue; // no midpoint strictly inside, as SplitShard requires
    steps.push({ op: 'split', shard: shard.index, at: (start + (end - start + 1n) / 2n).toString() });
  }
  if (steps.length === 0) return undefined;
  const pending: ReshardChange = { kind: RESHARD, steps };
  let scaling = false;
  const scaled = await kinesis.streams.update(stream, stream.name, (latest) => {
    scaling = false;
    if (latest.id !== stream.id || latest.status !== 'ACTIVE' || latest.mode !== 'ON_DEMAND') return undefined;
    if (latest.nextShardIndex !== stream.nextShardIndex) return undefined; // resharded meanwhile: re-measure
    // Due now: the update settles it before returning, so nobody observes UPDATING.
    scaling = true;
    return { ...latest, status: 'UPDATING', statusUntil: Date.now(), pending };
  });
  for (const shard of open) if (steps.some((s) => s.op === 'split' && s.shard === shard.index)) meter.forget(stream, shard);
  if (scaled && scaling) {
    logStreamEvent(log, scaled, 'scaled', { from: open.length, to: open.length + steps.length });
  }
  return scaled;
}

/** The background sweep's share (§5.3): scale out every on-demand stream with hot shards, then drop idle meters. */
export async function scaleOnDemandStreams(
  kinesis: { config: ScaleThresholds; streams: Streams },
  streams: StreamMeta[],
  now = Date.now(),
  log?: Logger,
): Promise<void> {
  for (const stream of streams) await scaleOutHotShards(kinesis, stream, now, log);
  writeMeter(kinesis).prune(now);
}
