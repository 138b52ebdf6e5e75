import { MAX_HASH_KEY, uniformRanges, type HashKeyRange } from './hash-key.js';
import { isOpen, openShards, type PendingChange, type ShardMeta, type StreamMeta } from './stream.js';
import type { Streams } from './streams.js';

/**
 * Resharding (KINESIS-SPEC §3.11–3.13, §5.2). An operation validates and records the plan as the
 * stream's pending change; the plan is applied when UPDATING ends, so until then the shard list is
 * unchanged and writes keep going to the parents (§5.2 "children not yet visible"). Once applied,
 * writes still go to the parents until the children's creation time (routing.ts, `writesEndAt`).
 */
export type ReshardStep =
  /** Close `shard`; children `[start, at − 1]` and `[at, end]`, both with ParentShardId = shard. */
  | { op: 'split'; shard: number; at: string }
  /** Close both; one child `[shard.start, adjacent.end]` with ParentShardId = shard, AdjacentParentShardId = adjacent. */
  | { op: 'merge'; shard: number; adjacent: number };

export interface ReshardChange extends PendingChange {
  kind: 'reshard';
  steps: ReshardStep[];
}

export const RESHARD = 'reshard';

/**
 * Children are created in the second after their parents close, as kinesalite recorded against AWS
 * (creation second = the parents' EndingSequenceNumber second + 1, §4.4, §5.2). At the start of that
 * second: records arriving in the parents' close second still go to the parents (§5.2).
 */
export const CHILD_CREATION_DELAY_MS = 1_000;
export const childCreationTime = (closedAt: number) => Math.floor(closedAt / 1000) * 1000 + CHILD_CREATION_DELAY_MS;

const range = (shard: ShardMeta): HashKeyRange => ({ start: BigInt(shard.startingHashKey), end: BigInt(shard.endingHashKey) });

/** Open shards in hash-key order. */
export function openShardsByHash(stream: StreamMeta): ShardMeta[] {
  return openShards(stream).sort((a, b) => (range(a).start < range(b).start ? -1 : 1));
}

/**
 * Applies the steps to a copy of the stream's shard list. Pure: the close time is given, so that a
 * re-run after a lost compare-and-set produces the same shards. A parent closes at `closedAt`, or
 * at its own creation if that is later (a shard resharded within a second of being created, as
 * UpdateShardCount's short-lived intermediates are); the two parents of a merge close together, as
 * recorded (equal EndingSequenceNumber times). Children are created at the start of the second after
 * their parents close (§4.4, §5.2), so a child's numbers always exceed its parents'.
 */
export function applySteps(stream: StreamMeta, steps: ReshardStep[], closedAt: number): { stream: StreamMeta; closed: ShardMeta[] } {
  const shards = stream.shards.map((shard) => ({ ...shard }));
  let nextIndex = stream.nextShardIndex;
  const closed: ShardMeta[] = [];
  const take = (...indexes: number[]): ShardMeta[] => {
    const taken = indexes.map((index) => {
      const shard = shards.find((s) => s.index === index);
      if (!shard || !isOpen(shard)) throw new Error(`reshard plan names shard ${index}, which is not open`);
      return shard;
    });
    const at = Math.max(closedAt, ...taken.map((shard) => shard.createdAt));
    for (const shard of taken) shard.closedAt = at;
    closed.push(...taken);
    return taken;
  };
  const child = (start: bigint, end: bigint, parent: ShardMeta, adjacentParent?: ShardMeta): ShardMeta => ({
    index: nextIndex++,
    parent: parent.index,
    adjacentParent: adjacentParent?.index,
    startingHashKey: start.toString(),
    endingHashKey: end.toString(),
    createdAt: childCreationTime(parent.closedAt!),
  });
  for (const step of steps) {
    if (step.op === 'split') {
      const [parent] = take(step.shard);
      const at = BigInt(step.at);
      shards.push(child(range(parent).start, at - 1n, parent), child(at, range(parent).end, parent));
    } else {
      const [lower, upper] = take(step.shard, step.adjacent);
      shards.push(child(range(lower).start, range(upper).end, lower, upper));
    }
  }
  return { stream: { ...stream, shards, nextShardIndex: nextIndex }, closed };
}

/**
 * The pending-change applier. The parents' logs are not sealed here: they take writes until their
 * children are created, and the first write to a child, or a reader reaching a parent's end after
 * that, seals them (records.ts). A writer that routed to a parent and meets its sealed log re-routes,
 * so every record lands in exactly one shard, and a key's records in a parent all precede its
 * records in a child. Idempotent: the shard list is recomputed from the stored (pre-change) state.
 */
export async function applyReshard(stream: StreamMeta, change: PendingChange): Promise<StreamMeta> {
  return applySteps(stream, (change as ReshardChange).steps, Date.now()).stream;
}

export function registerResharding(streams: Streams): void {
  streams.onPending(RESHARD, applyReshard);
}

/**
 * UpdateShardCount's plan (§3.13): from the open shards to the partition CreateStream gives
 * `target` shards (§4.2). Every boundary of that partition that is not already a shard boundary is
 * made one by splitting the shard that contains it; then, within each target range, the pieces are
 * merged left to right. Every new shard thus has one parent (split) or two adjacent parents (merge).
 * Doubling splits every shard, halving merges adjacent pairs, as AWS recommends for the fewest
 * splits and merges. AWS's intermediate structure for other targets is not recorded.
 *
 * A target boundary within `target` keys of an existing boundary is taken to be that boundary:
 * the partitions for N and 2N differ by the rounding of floor(2^128 / N) (a few keys out of 2^128),
 * and honouring that would cost a one-key short-lived shard and a merge per boundary. So the result
 * is §4.2's partition exactly when scaling from it by powers of two, and otherwise equal to it up
 * to that rounding.
 */
export function uniformScalingPlan(stream: StreamMeta, target: number): ReshardStep[] {
  const current = openShardsByHash(stream);
  const existing = current.slice(1).map((shard) => range(shard).start);
  const tolerance = BigInt(target);
  const near = (at: bigint) => existing.find((b) => (b > at ? b - at : at - b) <= tolerance);
  const boundaries = uniformRanges(target)
    .slice(1)
    .map((r) => near(r.start) ?? r.start);
  const goal = [0n, ...boundaries].map((start, i) => ({ start, end: i < boundaries.length ? boundaries[i] - 1n : MAX_HASH_KEY }));
  const steps: ReshardStep[] = [];
  let nextIndex = stream.nextShardIndex;

  // Pieces after the splits, in hash order.
  const pieces: { start: bigint; end: bigint; index: number }[] = [];
  for (const shard of current) {
    let { start, end } = range(shard);
    let index = shard.index;
    for (const at of boundaries) {
      if (at <= start || at > end) continue;
      steps.push({ op: 'split', shard: index, at: at.toString() });
      pieces.push({ start, end: at - 1n, index: nextIndex });
      index = nextIndex + 1;
      nextIndex += 2;
      start = at;
    }
    pieces.push({ start, end, index });
  }

  for (const want of goal) {
    const inside = pieces.filter((p) => p.start >= want.start && p.end <= want.end);
    let merged = inside[0];
    for (const piece of inside.slice(1)) {
      steps.push({ op: 'merge', shard: merged.index, adjacent: piece.index });
      merged = { start: merged.start, end: piece.end, index: nextIndex++ };
    }
  }
  return steps;
}
