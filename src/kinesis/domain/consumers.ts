import { limitExceeded, resourceInUse, resourceNotFound } from '../../protocol/errors.js';
import type { Store, Versioned } from '../../store/store.js';
import type { StreamMeta } from './stream.js';
import { epochDate } from './time.js';

/**
 * Enhanced fan-out consumers (KINESIS-SPEC §3.18). One metadata entry per consumer under
 * `consumer/{streamId}/{consumerName}` — a convention other operations rely on (DeleteStream's
 * EnforceConsumerDeletion, DescribeStreamSummary's ConsumerCount, tags on consumer ARNs).
 * Keyed by stream incarnation, so a re-created stream starts without consumers. Lifecycle
 * transitions complete lazily on read, as streams do (streams.ts).
 */
export interface ConsumerMeta {
  name: string;
  arn: string;
  streamId: string;
  streamArn: string;
  status: ConsumerStatus;
  /** When CREATING becomes ACTIVE, or when a DELETING consumer is gone (epoch ms). */
  statusUntil?: number;
  /** Epoch ms; its whole seconds end the ARN. */
  createdAt: number;
  tags: Record<string, string>;
}

export type ConsumerStatus = 'CREATING' | 'ACTIVE' | 'DELETING';

/** Consumers per stream, and consumers CREATING at once per stream (§3.18). */
export const MAX_CONSUMERS_PER_STREAM = 20;
export const MAX_CONSUMERS_CREATING = 5;

export const consumerKey = (streamId: string, name: string) => `consumer/${streamId}/${name}`;
export const consumerPrefix = (streamId: string) => `consumer/${streamId}/`;

/** `{streamArn}/consumer/{name}:{creationEpochSeconds}` (§2.1). */
export const consumerArn = (streamArn: string, name: string, createdAt: number) =>
  `${streamArn}/consumer/${name}:${Math.floor(createdAt / 1000)}`;

export interface ConsumerArnParts {
  streamArn: string;
  consumerName: string;
  createdSec: number;
}

const CONSUMER_ARN = /^(arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream\/[a-zA-Z0-9_.-]+)\/consumer\/([a-zA-Z0-9_.-]+):(\d+)$/;

export function parseConsumerArn(arn: string): ConsumerArnParts | undefined {
  const match = CONSUMER_ARN.exec(arn);
  return match ? { streamArn: match[1], consumerName: match[2], createdSec: Number(match[3]) } : undefined;
}

/**
 * Not-found text: AWS's is unrecorded (§3.18, §10); this is moto's form, naming the consumer as
 * the caller named it (its name, or its ARN).
 */
export const consumerNotFound = (nameOrArn: string, account: string) =>
  resourceNotFound(`Consumer ${nameOrArn}, account ${account} not found.`);

export interface ConsumerDelays {
  createConsumerMs: number;
  deleteConsumerMs: number;
}

/** Completes a due transition; undefined once a DELETING consumer's time is up (and removes it). */
async function settle(store: Store, entry: Versioned<ConsumerMeta>): Promise<ConsumerMeta | undefined> {
  for (;;) {
    const consumer = entry.value;
    if (consumer.statusUntil === undefined || Date.now() < consumer.statusUntil) return consumer;
    if (consumer.status === 'DELETING') {
      await store.meta.delete(entry.key, entry.revision);
      return undefined;
    }
    const next: ConsumerMeta = { ...consumer, status: 'ACTIVE', statusUntil: undefined };
    const revision = await store.meta.put(entry.key, next, entry.revision);
    if (revision !== undefined) return next;
    const current = await store.meta.get<ConsumerMeta>(entry.key);
    if (!current) return undefined;
    entry = current;
  }
}

/** Every consumer of a stream incarnation, in name order. */
export async function listConsumers(store: Store, streamId: string): Promise<ConsumerMeta[]> {
  const entries = await store.meta.list<ConsumerMeta>(consumerPrefix(streamId));
  const settled = await Promise.all(entries.map((entry) => settle(store, entry)));
  return settled.filter((consumer): consumer is ConsumerMeta => consumer !== undefined);
}

export async function findConsumer(store: Store, streamId: string, name: string): Promise<ConsumerMeta | undefined> {
  const entry = await store.meta.get<ConsumerMeta>(consumerKey(streamId, name));
  return entry && settle(store, entry);
}

/**
 * Registers a consumer in CREATING (ACTIVE at once with a zero delay). Duplicate names give
 * ResourceInUseException, which KCL relies on to fall back to DescribeStreamConsumer (§9.8).
 * AWS's texts for these errors are unrecorded (§10); these name the limit and the stream.
 */
export async function registerConsumer(
  store: Store,
  delays: ConsumerDelays,
  stream: StreamMeta,
  name: string,
  tags: Record<string, string>,
): Promise<ConsumerMeta> {
  const existing = await listConsumers(store, stream.id);
  const duplicate = () =>
    resourceInUse(`Consumer ${name} under stream ${stream.name}, account ${stream.account} already exists.`);
  if (existing.some((consumer) => consumer.name === name)) throw duplicate();
  if (existing.length >= MAX_CONSUMERS_PER_STREAM) {
    throw limitExceeded(
      `Consumer limit exceeded for stream ${stream.name} under account ${stream.account}. ` +
        `A stream can have at most ${MAX_CONSUMERS_PER_STREAM} registered consumers.`,
    );
  }
  if (existing.filter((consumer) => consumer.status === 'CREATING').length >= MAX_CONSUMERS_CREATING) {
    throw limitExceeded(
      `Stream ${stream.name} under account ${stream.account} already has ${MAX_CONSUMERS_CREATING} consumers in CREATING status. ` +
        'Wait for them to become ACTIVE before registering more.',
    );
  }
  const now = Date.now();
  const creating = delays.createConsumerMs > 0;
  const consumer: ConsumerMeta = {
    name,
    arn: consumerArn(stream.arn, name, now),
    streamId: stream.id,
    streamArn: stream.arn,
    status: creating ? 'CREATING' : 'ACTIVE',
    statusUntil: creating ? now + delays.createConsumerMs : undefined,
    createdAt: now,
    tags: { ...tags },
  };
  // Compare-and-set on an absent key: of two concurrent registrations of one name, one wins.
  if ((await store.meta.put(consumerKey(stream.id, name), consumer, 0)) === undefined) throw duplicate();
  // The API reports CREATING on registration even when activation is immediate (§3.18).
  return { ...consumer, status: 'CREATING' };
}

/** Moves a consumer to DELETING, or removes it at once with a zero delay. False if it is already gone. */
export async function deregisterConsumer(store: Store, delays: ConsumerDelays, consumer: ConsumerMeta): Promise<boolean> {
  const key = consumerKey(consumer.streamId, consumer.name);
  for (;;) {
    const entry = await store.meta.get<ConsumerMeta>(key);
    if (!entry || entry.value.arn !== consumer.arn) return false;
    if (delays.deleteConsumerMs === 0) {
      if (await store.meta.delete(key, entry.revision)) return true;
      continue;
    }
    if (entry.value.status === 'DELETING') return true;
    const next: ConsumerMeta = { ...entry.value, status: 'DELETING', statusUntil: Date.now() + delays.deleteConsumerMs };
    if ((await store.meta.put(key, next, entry.revision)) !== undefined) return true;
  }
}

/** The API's `Consumer` (Register, List) structure. */
export const describeConsumer = (consumer: ConsumerMeta) => ({
  ConsumerName: consumer.name,
  ConsumerARN: consumer.arn,
  ConsumerStatus: consumer.status,
  ConsumerCreationTimestamp: epochDate(consumer.createdAt),
});
