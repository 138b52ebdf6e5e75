import crypto from 'node:crypto';
import { hashPartitionKey } from './hash-key.js';
import { isOpen, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Partition key → hash key → shard (KINESIS-SPEC §4.1). The shards taking writes at a given time
 * cover the whole hash-key space without overlap; a binary search over their sorted ranges finds
 * the one holding a key.
 *
 * Hash keys travel as 32 lowercase hex digits (HashKey): MD5's hex digest is one already, and
 * fixed-width hex strings compare like the numbers they spell, so routing a record needs no
 * BigInt. Shard ranges are converted once per shard layout.
 */
export type HashKey = string;
const HASH_KEY_DIGITS = 32;

/** A hash key given in decimal (ExplicitHashKey, shard ranges); more than 32 digits when ≥ 2^128. */
export const hashKeyOf = (decimal: string | bigint): HashKey => BigInt(decimal).toString(16).padStart(HASH_KEY_DIGITS, '0');
/** False for an ExplicitHashKey beyond 2^128 − 1. */
export const inHashKeySpace = (key: HashKey) => key.length === HASH_KEY_DIGITS;

interface Route {
  start: HashKey;
  end: HashKey;
  shard: ShardMeta;
}

interface Layout {
  /** signature(): the number of shards and of closed ones. */
  shardCount: number;
  closedCount: number;
  /** The routes hold from this time until just before `until` (epoch ms). */
  from: number;
  until: number;
  routes: Route[];
}

/** Layouts of recently written streams, by stream incarnation. */
const layouts = new Map<string, Layout>();
const MAX_CACHED_LAYOUTS = 10_000;

/**
 * Shards are only ever added or closed, never reopened, so the number of shards and the number of
 * closed ones identify the shard list; the time then says which of them take writes. Counted with
 * an indexed loop and compared as numbers: a string and an iterator per record showed up in profiles.
 */
function closedShards(stream: StreamMeta): number {
  const shards = stream.shards;
  let closed = 0;
  for (let i = 0; i < shards.length; i++) if (!isOpen(shards[i])) closed++;
  return closed;
}

/**
 * When writes to a closed shard end: when its children are created. Until then records still go to
 * it, as recorded against AWS (kinesalite's mergeShards test: "Kinesis will continue to put records
 * in the closed shard until the time has clocked over to the new shard's create time", §5.2), so
 * no record of a child arrives before the child was created. Undefined for an open shard.
 */
export function writesEndAt(stream: StreamMeta, shard: ShardMeta): number | undefined {
  return shard.closedAt === undefined ? undefined : (childCreation(stream).get(shard.index) ?? shard.closedAt);
}

/** The earliest creation time of each shard's children, by parent index. */
function childCreation(stream: StreamMeta): Map<number, number> {
  const created = new Map<number, number>();
  const note = (parent: number | undefined, at: number) => {
    if (parent !== undefined) created.set(parent, Math.min(created.get(parent) ?? Infinity, at));
  };
  for (const child of stream.shards) {
    note(child.parent, child.createdAt);
    note(child.adjacentParent, child.createdAt);
  }
  return created;
}

/** The shards taking writes at `at`: created by then, and open or still before their children's creation. */
function layout(stream: StreamMeta, at: number): Route[] {
  const closedCount = closedShards(stream);
  const cached = layouts.get(stream.id);
  if (cached && cached.shardCount === stream.shards.length && cached.closedCount === closedCount && at >= cached.from && at < cached.until) return cached.routes;
  const children = childCreation(stream);
  let from = -Infinity;
  let until = Infinity;
  const writable: ShardMeta[] = [];
  for (const shard of stream.shards) {
    const end = shard.closedAt === undefined ? Infinity : (children.get(shard.index) ?? shard.closedAt);
    // The layout changes at every shard's creation and at every end of writes.
    for (const change of [shard.createdAt, end]) {
      if (change <= at) from = Math.max(from, change);
      else until = Math.min(until, change);
    }
    if (shard.createdAt <= at && at < end) writable.push(shard);
  }
  const routes = writable
    .map((shard) => ({ start: hashKeyOf(shard.startingHashKey), end: hashKeyOf(shard.endingHashKey), shard }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear();
  layouts.set(stream.id, { shardCount: stream.shards.length, closedCount, from, until, routes });
  return routes;
}

/** The shard that takes a write of `hashKey` at `at` (the stores' clock); undefined only for a stream without open shards. */
export function routeHashKey(stream: StreamMeta, hashKey: HashKey, at = Date.now()): ShardMeta | undefined {
  return findRoute(layout(stream, at), hashKey);
}

/** routeHashKey for many records of one request: the stream's layout is looked up once. */
export function shardRouter(stream: StreamMeta, at = Date.now()): (hashKey: HashKey) => ShardMeta | undefined {
  const routes = layout(stream, at);
  return (hashKey) => findRoute(routes, hashKey);
}

/** The child of a closed shard that holds `hashKey`: where its writes go once its log is sealed. */
export function childHolding(stream: StreamMeta, shard: ShardMeta, hashKey: HashKey): ShardMeta | undefined {
  return stream.shards.find(
    (child) =>
      (child.parent === shard.index || child.adjacentParent === shard.index) &&
      hashKeyOf(child.startingHashKey) <= hashKey &&
      hashKey <= hashKeyOf(child.endingHashKey),
  );
}

function findRoute(routes: Route[], hashKey: HashKey): ShardMeta | undefined {
  let lo = 0;
  let hi = routes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const route = routes[mid];
    if (hashKey < route.start) hi = mid - 1;
    else if (hashKey > route.end) lo = mid + 1;
    else return route.shard;
  }
  return undefined;
}

/** The hash key of a record: its ExplicitHashKey when given, else MD5 of the partition key (§4.1). */
export function recordHashKey(partitionKey: string, explicitHashKey?: string): HashKey {
  if (explicitHashKey !== undefined) return hashKeyOf(explicitHashKey);
  // The one-shot hash (Node ≥ 20.12) costs half of a Hash object per record.
  return oneShotHash ? oneShotHash('md5', partitionKey, 'hex') : hashKeyOf(hashPartitionKey(partitionKey));
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
