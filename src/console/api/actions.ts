import { randomUUID } from 'node:crypto';
import type { KinesisContext } from '../../kinesis/context.js';
import { appendRecords, isWritable } from '../../kinesis/domain/records.js';
import { routeHashKey } from '../../kinesis/domain/routing.js';
import { formatShardId } from '../../kinesis/domain/shard-id.js';
import { MAX_HASH_KEY } from '../../kinesis/domain/hash-key.js';
import { streamNotFound } from '../../kinesis/errors.js';
import { checkedHashKey, maxRecordBytes, putRecordSize, recordTooLarge } from '../../kinesis/put-validation.js';
import mergeShards from '../../kinesis/operations/MergeShards.js';
import splitShard from '../../kinesis/operations/SplitShard.js';
import updateShardCount from '../../kinesis/operations/UpdateShardCount.js';
import type { ConsoleDeps } from '../deps.js';
import { badParameter } from './errors.js';
import { field, type ConsoleScope } from './params.js';
import { requireStream } from './streams.js';

/**
 * The console's writes. Records go through the same domain as PutRecords (routing, size checks,
 * encryption, durable append) but are not counted against the stream's write limits; resharding
 * runs the operations themselves, with their checks and AWS's error texts.
 */

/** PutRecords' batch limit (KINESIS-SPEC §3.10). */
export const MAX_BATCH_RECORDS = 500;
/** AWS's PartitionKey length limits (model: 1–256). */
const MAX_PARTITION_KEY_CHARS = 256;
/** The model's HashKey pattern: a decimal of at most 39 digits. */
const HASH_KEY = /^(0|[1-9]\d{0,38})$/;
/** UpdateShardCount's TargetShardCount range in the model. */
const MAX_TARGET_SHARDS = 100_000;

interface RecordInput {
  partitionKey: string;
  data: Buffer;
  explicitHashKey?: string;
}

function recordInput(value: unknown, where: string): RecordInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badParameter(`${where} must be an object`);
  const body = value as Record<string, unknown>;
  const partitionKey = field<string>(body, 'partitionKey', 'string', true);
  if (partitionKey.length < 1 || partitionKey.length > MAX_PARTITION_KEY_CHARS) throw badParameter(`${where}.partitionKey must be 1 to ${MAX_PARTITION_KEY_CHARS} characters`);
  const base64 = field<string>(body, 'data', 'string');
  const textData = field<string>(body, 'text', 'string');
  if ((base64 === undefined) === (textData === undefined)) throw badParameter(`${where} needs either data (base64) or text`);
  if (base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw badParameter(`${where}.data must be base64`);
  const explicitHashKey = field<string>(body, 'explicitHashKey', 'string');
  if (explicitHashKey !== undefined && !HASH_KEY.test(explicitHashKey)) throw badParameter(`${where}.explicitHashKey must be a decimal hash key`);
  return { partitionKey, data: base64 !== undefined ? Buffer.from(base64, 'base64') : Buffer.from(textData!, 'utf8'), explicitHashKey };
}

/** `POST /api/v1/streams/{name}/records`: `{partitionKey, text|data, explicitHashKey?}` or `{records: [...]}`. */
export async function putRecords(deps: ConsoleDeps, scope: ConsoleScope, name: string, body: Record<string, unknown>) {
  const inputs = Array.isArray(body.records)
    ? body.records.map((record, i) => recordInput(record, `records[${i}]`))
    : [recordInput(body, 'record')];
  if (inputs.length < 1 || inputs.length > MAX_BATCH_RECORDS) throw badParameter(`records must hold 1 to ${MAX_BATCH_RECORDS} records`);
  const stream = await requireStream(deps, scope, name);
  if (!isWritable(stream)) throw streamNotFound(name, scope.account);
  const tooLarge = inputs
    .map((input, i) => ({ path: inputs.length > 1 ? `records.${i + 1}.member.data` : 'data', dataLength: input.data.length, size: putRecordSize(input.data, input.partitionKey) }))
    .filter((v) => v.size > maxRecordBytes(stream));
  if (tooLarge.length > 0) throw recordTooLarge(tooLarge, stream);
  const entries = inputs.map((input) => ({ data: input.data, partitionKey: input.partitionKey, hashKey: checkedHashKey(input.partitionKey, input.explicitHashKey) }));
  const outcomes = await appendRecords(deps.kinesis, stream, entries);
  return {
    records: outcomes.map((outcome) => ({ shardId: formatShardId(outcome.shard.index), sequenceNumber: outcome.sequenceNumber })),
    encrypted: stream.encryption.type === 'KMS',
  };
}

/** `GET /api/v1/streams/{name}/route?partitionKey=&explicitHashKey=`: the shard a record would go to now. */
export async function predictShard(deps: ConsoleDeps, scope: ConsoleScope, name: string, partitionKey: string | undefined, explicitHashKey: string | undefined) {
  if (partitionKey === undefined) throw badParameter('partitionKey is required');
  if (explicitHashKey !== undefined && !HASH_KEY.test(explicitHashKey)) throw badParameter('explicitHashKey must be a decimal hash key');
  const stream = await requireStream(deps, scope, name);
  const hashKey = checkedHashKey(partitionKey, explicitHashKey);
  const shard = routeHashKey(stream, hashKey);
  return { hashKey: BigInt('0x' + hashKey).toString(), shardId: shard === undefined ? undefined : formatShardId(shard.index) };
}

/** An operation's context for a console action: the scope's own account, as its owner calling. */
function operationContext(deps: ConsoleDeps, scope: ConsoleScope, operation: string): KinesisContext {
  return {
    requestId: randomUUID(),
    encoding: 'json',
    account: scope.account,
    region: scope.region,
    credentials: { accessKeyId: 'millrace-console', region: scope.region, service: 'kinesis', form: 'header' },
    signal: new AbortController().signal,
    log: deps.log,
    kinesis: deps.kinesis,
    operation,
  };
}

/** `POST …/split {shardId, newStartingHashKey?}`: the midpoint of the shard's range unless a key is given. */
export async function split(deps: ConsoleDeps, scope: ConsoleScope, name: string, body: Record<string, unknown>) {
  const shardId = field<string>(body, 'shardId', 'string', true);
  let at = field<string>(body, 'newStartingHashKey', 'string');
  if (at !== undefined && !HASH_KEY.test(at)) throw badParameter('newStartingHashKey must be a decimal hash key');
  if (at === undefined) {
    const stream = await requireStream(deps, scope, name);
    const shard = stream.shards.find((s) => formatShardId(s.index) === shardId);
    if (!shard) throw badParameter(`stream ${name} has no shard ${shardId}`);
    const start = BigInt(shard.startingHashKey);
    const end = BigInt(shard.endingHashKey);
    at = ((start + end + 1n) / 2n).toString();
  }
  if (BigInt(at) > MAX_HASH_KEY) throw badParameter('newStartingHashKey is beyond 2^128-1');
  await splitShard({ StreamName: name, ShardToSplit: shardId, NewStartingHashKey: at }, operationContext(deps, scope, 'SplitShard'));
  return { splitting: shardId, newStartingHashKey: at };
}

/** `POST …/merge {shardId, adjacentShardId}` */
export async function merge(deps: ConsoleDeps, scope: ConsoleScope, name: string, body: Record<string, unknown>) {
  const shardId = field<string>(body, 'shardId', 'string', true);
  const adjacentShardId = field<string>(body, 'adjacentShardId', 'string', true);
  await mergeShards({ StreamName: name, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }, operationContext(deps, scope, 'MergeShards'));
  return { merging: [shardId, adjacentShardId] };
}

/** `POST …/scale {targetShardCount}` (UpdateShardCount, UNIFORM_SCALING). */
export async function scale(deps: ConsoleDeps, scope: ConsoleScope, name: string, body: Record<string, unknown>) {
  const target = field<number>(body, 'targetShardCount', 'number', true);
  if (!Number.isSafeInteger(target) || target < 1 || target > MAX_TARGET_SHARDS) throw badParameter(`targetShardCount must be a whole number from 1 to ${MAX_TARGET_SHARDS}`);
  return updateShardCount({ StreamName: name, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }, operationContext(deps, scope, 'UpdateShardCount'));
}
