import { invalidArgument } from '../../protocol/errors.js';
import { openPageToken, sealPageToken } from '../domain/page-token.js';
import { afterShardId, filterShards, type ShardFilter, type ShardFilterType } from '../domain/shard-filter.js';
import { formatShardId } from '../domain/shard-id.js';
import { describeShard } from '../domain/stream.js';
import { streamNotActive, streamNotFound } from '../errors.js';
import type { KinesisContext } from '../context.js';
import { requireStream, streamTarget, type StreamTarget } from '../stream-target.js';

/** MaxResults defaults to, and is capped at, 1000 (KINESIS-SPEC §3.6). */
export const LIST_SHARDS_MAX_RESULTS = 1000;

interface Input {
  StreamName?: string;
  StreamARN?: string;
  NextToken?: string;
  ExclusiveStartShardId?: string;
  MaxResults?: number;
  StreamCreationTimestamp?: Date;
  ShardFilter?: { Type: ShardFilterType; ShardId?: string; Timestamp?: Date };
}

/** What a NextToken carries: the stream incarnation, the position and the original filter. */
type ListShardsToken = {
  op: 'ListShards';
  target: StreamTarget;
  streamId: string;
  after: string;
  filter?: ShardFilter;
};

/** KINESIS-SPEC §3.6 */
export default async function listShards(input: Input, context: KinesisContext) {
  const store = context.kinesis.store;
  let target: StreamTarget;
  let filter: ShardFilter | undefined;
  let after: string | undefined;
  let streamId: string | undefined;
  if (input.NextToken !== undefined) {
    // A continuation page is addressed by the token alone (recorded messages, §3.6).
    if (input.StreamName !== undefined) throw invalidArgument('NextToken and StreamName cannot be provided together.');
    if (input.StreamARN !== undefined) throw invalidArgument('NextToken and StreamARN cannot be provided together.');
    if (input.ExclusiveStartShardId !== undefined) throw invalidArgument('NextToken and ExclusiveStartShardId cannot be provided together.');
    if (input.ShardFilter !== undefined) throw invalidArgument('NextToken and ShardFilter cannot be provided together.');
    if (input.StreamCreationTimestamp !== undefined) throw invalidArgument('NextToken and StreamCreationTimestamp cannot be provided together.');
    const token = await openPageToken<ListShardsToken>(store, input.NextToken, 'ListShards');
    ({ target, filter, after, streamId } = token);
  } else {
    if (input.StreamName === undefined && input.StreamARN === undefined) throw invalidArgument('Either NextToken or StreamName should be provided.');
    target = streamTarget(input, context);
    filter = shardFilter(input.ShardFilter);
    after = input.ExclusiveStartShardId;
  }

  const stream = await requireStream(target, context);
  // A token outlives the stream it was issued for only as a stale position: a re-created stream
  // of the same name is another stream, as is one whose creation time the caller did not expect.
  if (streamId !== undefined && stream.id !== streamId) throw streamNotFound(target.name, target.account);
  if (input.StreamCreationTimestamp !== undefined && !sameSecond(input.StreamCreationTimestamp.getTime(), stream.createdAt)) {
    throw streamNotFound(target.name, target.account);
  }
  if (stream.status === 'CREATING') throw streamNotActive(stream.name, target.account, stream.status);

  const matching = filterShards(stream, filter, Date.now());
  const candidates = after === undefined ? matching : matching.filter(afterShardId(after));
  const page = candidates.slice(0, Math.min(input.MaxResults ?? LIST_SHARDS_MAX_RESULTS, LIST_SHARDS_MAX_RESULTS));
  const hasMore = candidates.length > page.length;
  const next: ListShardsToken | undefined = hasMore
    ? { op: 'ListShards', target, streamId: stream.id, after: formatShardId(page.at(-1)!.index), filter }
    : undefined;
  return {
    Shards: page.map(describeShard),
    NextToken: next ? await sealPageToken(store, next) : undefined,
  };
}

/** The filter's required parts are checked here; the model only requires `Type`. */
function shardFilter(given: Input['ShardFilter']): ShardFilter | undefined {
  if (!given) return undefined;
  if (given.Type === 'AFTER_SHARD_ID' && given.ShardId === undefined) {
    throw invalidArgument('ShardId must be provided when the ShardFilter Type is AFTER_SHARD_ID.');
  }
  if ((given.Type === 'AT_TIMESTAMP' || given.Type === 'FROM_TIMESTAMP') && given.Timestamp === undefined) {
    throw invalidArgument(`Timestamp must be provided when the ShardFilter Type is ${given.Type}.`);
  }
  return { type: given.Type, shardId: given.ShardId, timestamp: given.Timestamp?.getTime() };
}

/** Clients echo StreamCreationTimestamp at whatever precision they received; seconds always survive. */
const sameSecond = (a: number, b: number) => Math.floor(a / 1000) === Math.floor(b / 1000);
