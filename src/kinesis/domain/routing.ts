import crypto from 'node:crypto';
import { hashPartitionKey } from './hash-key.js';
import { isOpen, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Partition key → hash key → open shard (KINESIS-SPEC §4.1). The open shards of a stream cover
 * the whole hash-key space without overlap; a binary search over their sorted ranges finds the
 * one holding a key.
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
  signature: string;
  routes: Route[];
}

/** Layouts of recently written streams, by stream incarnation. */
const layouts = new Map<string, Layout>();
const MAX_CACHED_LAYOUTS = 10_000;

/**
 * Shards are only ever added or closed, never reopened, so the number of shards and the number of
 * closed ones identify the set of open shards.
 */
function signature(stream: StreamMeta): string {
  let closed = 0;
  for (const shard of stream.shards) if (!isOpen(shard)) closed++;
  return `${stream.shards.length}/${closed}`;
}

function layout(stream: StreamMeta): Route[] {
  const sig = signature(stream);
  const cached = layouts.get(stream.id);
  if (cached && cached.signature === sig) return cached.routes;
  const routes = stream.shards
    .filter(isOpen)
    .map((shard) => ({ start: hashKeyOf(shard.startingHashKey), end: hashKeyOf(shard.endingHashKey), shard }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear();
  layouts.set(stream.id, { signature: sig, routes });
  return routes;
}

/** The open shard whose inclusive range holds `hashKey`; undefined only for a stream without open shards. */
export function routeHashKey(stream: StreamMeta, hashKey: HashKey): ShardMeta | undefined {
  return findRoute(layout(stream), hashKey);
}

/** routeHashKey for many records of one request: the stream's layout is looked up once. */
export function shardRouter(stream: StreamMeta): (hashKey: HashKey) => ShardMeta | undefined {
  const routes = layout(stream);
  return (hashKey) => findRoute(routes, hashKey);
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
