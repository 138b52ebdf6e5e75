import { invalidArgument, limitExceeded, validationError } from '../protocol/errors.js';
import { formatShardId, parseShardId } from './domain/shard-id.js';
import { RESHARD, type ReshardChange, type ReshardStep } from './domain/resharding.js';
import { isOpen, openShards, type ShardMeta, type StreamMeta } from './domain/stream.js';
import { couldNotFindShard, shardLimitExceeded, streamNotActive, streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';
import { logStreamEvent } from './domain/lifecycle-log.js';
import type { StreamTarget } from './stream-target.js';

/**
 * What SplitShard, MergeShards and UpdateShardCount share (KINESIS-SPEC §3.11–3.13): their checks
 * in AWS's order, their error texts, and entering UPDATING with the plan as the pending change.
 */

/** Provisioned-only operations on an on-demand stream (§5.2, §5.3; moto's text, UNVERIFIED against AWS). */
export const onDemandStream = (stream: StreamMeta) =>
  validationError(`Request is invalid. Stream ${stream.name} under account ${stream.account} is in On-Demand mode.`);

/** A closed shard named by SplitShard or MergeShards (§3.11; moto's text). */
export const alreadyResharded = (shardId: string, stream: StreamMeta) =>
  invalidArgument(
    `Shard ${shardId} in stream ${stream.name} under account ${stream.account} has already been merged or split, and thus is not eligible for merging or splitting.`,
  );

/** Shard ids parse before any stream lookup; an unparsable id is reported as given (§2.2). */
export function parseShardParam(given: string, target: StreamTarget): number {
  const index = parseShardId(given);
  if (index === undefined) throw couldNotFindShard(given, target.name, target.account);
  return index;
}

/** The stream's existence, mode and state, in that order (§3.11; where the mode check sits is UNVERIFIED). */
export function requireReshardable(stream: StreamMeta | undefined, target: StreamTarget): StreamMeta {
  if (!stream) throw streamNotFound(target.name, target.account);
  if (stream.mode === 'ON_DEMAND') throw onDemandStream(stream);
  if (stream.status !== 'ACTIVE') throw streamNotActive(stream.name, stream.account, stream.status);
  return stream;
}

/** An open shard of the stream, or the §2.2 / §3.11 errors with the canonical id. */
export function requireOpenShard(stream: StreamMeta, index: number): ShardMeta {
  const shardId = formatShardId(index);
  const shard = stream.shards.find((s) => s.index === index);
  if (!shard) throw couldNotFindShard(shardId, stream.name, stream.account);
  if (!isOpen(shard)) throw alreadyResharded(shardId, stream);
  return shard;
}

/** Open shards of the account's provisioned streams (on-demand shards do not count, as in CreateStream). */
export async function accountOpenShards(context: KinesisContext, target: StreamTarget): Promise<number> {
  const streams = await context.kinesis.streams.list(target);
  return streams.filter((s) => s.mode === 'PROVISIONED').reduce((n, s) => n + openShards(s).length, 0);
}

export function checkAccountShardLimit(context: KinesisContext, target: StreamTarget, open: number, additional: number): void {
  const limit = context.kinesis.config.shardLimit;
  if (additional > 0 && open + additional > limit) throw shardLimitExceeded(target.account, target.region, open, limit, additional);
}

/**
 * Enters UPDATING for the configured time with the plan as the pending change. `plan` checks the
 * state being replaced (compare-and-set, so no concurrent reshard slips in between check and
 * write) and returns the steps, or undefined for nothing to do. With no delay the change is due at
 * once, and the stored state is settled (the change applied) before this returns.
 */
export async function startReshard(
  context: KinesisContext,
  target: StreamTarget,
  plan: (stream: StreamMeta) => { steps: ReshardStep[]; also?: Partial<StreamMeta> } | undefined,
): Promise<StreamMeta> {
  const { streams, config } = context.kinesis;
  let counts: { from: number; to: number } | undefined;
  const stored = await streams.update(target, target.name, (stream) => {
    const planned = plan(stream);
    counts = undefined;
    if (!planned) return undefined;
    const from = openShards(stream).length;
    counts = { from, to: from + planned.steps.reduce((n, step) => n + (step.op === 'split' ? 1 : -1), 0) };
    const pending: ReshardChange = { kind: RESHARD, steps: planned.steps };
    return { ...stream, ...planned.also, status: 'UPDATING', statusUntil: Date.now() + config.updateStreamMs, pending };
  });
  if (!stored) throw streamNotFound(target.name, target.account);
  if (counts) logStreamEvent(context.log, stored, 'resharded', { operation: context.operation, ...counts });
  return stored;
}

/** Limits of UpdateShardCount (§3.13, documented defaults). */
export const MAX_SHARDS_PER_STREAM = 10_000;
export const SCALINGS_PER_DAY = 10;

/**
 * Texts recorded by a kinesalite contributor (UpdateShardCount PR) and quoted from AWS in the CDK
 * docs; the rolling-window text is ours (AWS's is UNVERIFIED).
 */
export const scaleUpOverDouble = (open: number, target: number) =>
  limitExceeded(`UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: ${open}, Target shard count: ${target}`);

export const scaleDownBelowHalf = (open: number, target: number) =>
  limitExceeded(`UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: ${open}, Target shard count: ${target}`);

export const overStreamShardMaximum = (open: number, target: number) =>
  limitExceeded(
    `Target shard count or number of open shards cannot be greater than ${MAX_SHARDS_PER_STREAM}. Current open shard count: ${open}, Target shard count: ${target}`,
  );

export const tooManyScalings = (stream: StreamMeta) =>
  limitExceeded(
    `UpdateShardCount cannot scale stream ${stream.name} under account ${stream.account} more than ${SCALINGS_PER_DAY} times in a rolling 24-hour period.`,
  );
