import crypto from 'node:crypto';
import { hashPartitionKey } from './hash-key.js';
import { isOpen, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Partition key → hash key → open shard (KINESIS-SPEC §4.1). The open shards of a stream cover
 * the whole hash-key space without overlap; a binary search over their sorted ranges finds the
 * one holding a key. Ranges are parsed to BigInt once per shard layout, not once per record.
 */
interface Route {
  start: bigint;
  end: bigint;
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
    .map((shard) => ({ start: BigInt(shard.startingHashKey), end: BigInt(shard.endingHashKey), shard }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear();
  layouts.set(stream.id, { signature: sig, routes });
  return routes;
}

/** The open shard whose inclusive range holds `hashKey`; undefined only for a stream without open shards. */
export function routeHashKey(stream: StreamMeta, hashKey: bigint): ShardMeta | undefined {
  const routes = layout(stream);
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

/** The hash key of a record: its ExplicitHashKey when given, else MD5 of the partition key. */
export function recordHashKey(partitionKey: string, explicitHashKey?: string): bigint {
  if (explicitHashKey !== undefined) return BigInt(explicitHashKey);
  // The one-shot hash (Node ≥ 20.12) costs half of a Hash object per record; same value as hashPartitionKey.
  return oneShotHash ? BigInt('0x' + oneShotHash('md5', partitionKey, 'hex')) : hashPartitionKey(partitionKey);
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
