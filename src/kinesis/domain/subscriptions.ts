import { decryptRecords } from './encryption.js';
import { randomUUID } from 'node:crypto';
import { resourceInUse } from '../../protocol/errors.js';
import { EVENT_STREAM_CONTENT_TYPE, eventFrame, exceptionFrame, initialResponseFrame } from '../../protocol/event-stream.js';
import { StreamingResult, type RequestContext, type ServerResponse } from '../../protocol/pipeline.js';
import type { Store, StoredRecord } from '../../store/store.js';
import { childShards, closedShardEnd, retentionHorizon, toApiRecords } from './records.js';
import type { Kinesis } from '../context.js';
import { now } from './clock.js';
import { consumerNotFound, findConsumer, type ConsumerMeta } from './consumers.js';
import { formatShardId } from './shard-id.js';
import { recordSequenceNumber, shardLogName, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * SubscribeToShard subscriptions (KINESIS-SPEC §6). Records are pushed: the subscription watches
 * its shard log and reads as soon as records are durable. A lease in the metadata store
 * (`subscription/{streamId}/{consumer}/{shard}`) enforces one subscription per consumer and shard
 * across nodes; a once-a-second check notices what other nodes changed (the consumer deregistered,
 * the stream deleted, the shard closed, the lease taken over) and sends heartbeats while idle.
 */

/** A new subscription inside this time of a live one for the same consumer and shard is refused (§6.4). */
export const SUBSCRIPTION_CONFLICT_MS = 5_000;
/** Each consumer reads each shard at up to 2 MiB/s, independently of other consumers (§6.4). */
export const CONSUMER_SHARD_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** At most this many records per event, as GetRecords (§4.6, §6.3). */
export const MAX_RECORDS_PER_EVENT = 10_000;
/** How often a subscription re-checks its consumer, stream, shard and lease. */
export const CHECK_INTERVAL_MS = 1_000;
/** An idle subscription sends an empty event this often (§6.3 recommends every 1–5 s). */
export const HEARTBEAT_INTERVAL_MS = 2_000;

interface Lease {
  id: string;
  consumerArn: string;
  startedAt: number;
}

const leaseKey = (consumer: ConsumerMeta, shard: ShardMeta) => `subscription/${consumer.streamId}/${consumer.name}/${shard.index}`;

/** Subscriptions this process serves, by lease key: a takeover or a deregistration ends them at once. */
const local = new Map<string, ShardSubscription>();

const recordBytes = (record: StoredRecord) => record.data.length + Buffer.byteLength(record.partitionKey);

/**
 * The newest event built for a shard log at its tip, shared by the subscriptions of that shard:
 * consumers that keep up all stand at the same position when records arrive, and without sharing
 * each of them would read the same records and encode the same event (fan-out multiplied the
 * delivery work by the number of consumers).
 */
interface TailEvent {
  from: number;
  next: number;
  bytes: number;
  continuation: string;
  frame: Buffer;
  builtAt: number;
}
const tails = new Map<string, TailEvent>();
/** A tail event is reused only this soon after it was built (it reported MillisBehindLatest 0). */
const TAIL_EVENT_REUSE_MS = 250;
const tailKey = (log: string, encoding: RequestContext['encoding']) => `${encoding} ${log}`;
/** Reads in progress that will leave a tail event, by tail key: the others wait for them. */
const building = new Map<string, { from: number; done: Promise<void> }>();

/**
 * Takes the consumer+shard lease. Refused while a live subscription started less than 5 s ago
 * holds it; otherwise the new subscription takes over and the old one ends with a
 * ResourceInUseException frame (§6.4). A subscription that ended — its client disconnected, its
 * lifetime ran out — has released its lease, so a client may resubscribe at once (KCL does).
 */
async function acquireLease(store: Store, stream: StreamMeta, consumer: ConsumerMeta, shard: ShardMeta): Promise<{ key: string; id: string; revision: number }> {
  const key = leaseKey(consumer, shard);
  for (;;) {
    const held = await store.meta.get<Lease>(key);
    const startedAt = Date.now();
    if (held && held.value.consumerArn === consumer.arn && startedAt - held.value.startedAt < SUBSCRIPTION_CONFLICT_MS) {
      // The prefix is recorded [issues]; the rest of AWS's text is not (§6.1, §10).
      throw resourceInUse(
        `Another active subscription exists for this consumer: ${stream.account}:${stream.name}:${formatShardId(shard.index)}:${consumer.name}`,
      );
    }
    const lease: Lease = { id: randomUUID(), consumerArn: consumer.arn, startedAt };
    const revision = await store.meta.put(key, lease, held?.revision ?? 0);
    if (revision !== undefined) return { key, id: lease.id, revision };
  }
}

/** Ends this process's subscriptions of a consumer that was deregistered (§6.4). */
export function endSubscriptionsOf(consumer: ConsumerMeta): void {
  for (const subscription of local.values()) {
    if (subscription.consumer.streamId === consumer.streamId && subscription.consumer.arn === consumer.arn) {
      subscription.fail('ResourceNotFoundException', consumerNotFound(consumer.arn, subscription.stream.account).message);
    }
  }
}

/** Servers shutting down: their subscriptions complete, and one that starts now completes at once. */
const stopping = new WeakSet<Kinesis>();

/**
 * Shutdown: every subscription this server holds completes normally, as at the end of its
 * lifetime (§6.4), so SDKs and KCL see the end of an event stream and resubscribe, rather than a
 * broken connection. Resolves once their leases are released and their responses ended.
 */
export async function endSubscriptions(kinesis: Kinesis): Promise<void> {
  stopping.add(kinesis);
  await Promise.all([...local.values()].filter((subscription) => subscription.kinesis === kinesis).map((subscription) => subscription.complete()));
}

/** Number of subscriptions this process serves (tests, diagnostics). */
export const localSubscriptionCount = () => local.size;

export interface SubscriptionStart {
  /** Log index of the first record to deliver. */
  index: number;
  /** The position before that record, for heartbeats before anything was delivered (§6.3). */
  continuation: string;
}

/**
 * Opens a subscription: takes the lease (ResourceInUseException inside 5 s), ends any older local
 * holder, and returns the response body to stream. The caller has checked consumer, shard and
 * starting position.
 */
export async function subscribe(kinesis: Kinesis, stream: StreamMeta, consumer: ConsumerMeta, shard: ShardMeta, start: SubscriptionStart): Promise<ShardSubscription> {
  const lease = await acquireLease(kinesis.store, stream, consumer, shard);
  const subscription = new ShardSubscription(kinesis, stream, consumer, shard, start, lease);
  local.get(lease.key)?.fail('ResourceInUseException', takenOver(stream, consumer, shard));
  local.set(lease.key, subscription);
  return subscription;
}

/** AWS's text for a subscription replaced by a newer one is unrecorded; this says what happened. */
const takenOver = (stream: StreamMeta, consumer: ConsumerMeta, shard: ShardMeta) =>
  `Another subscription for consumer ${consumer.name} on shard ${formatShardId(shard.index)} of stream ${stream.name} under account ${stream.account} has taken over this one.`;

/**
 * One SubscribeToShard response. Delivery is a pump that runs when the log grows, the send
 * window drains or the byte budget refills, and stops whenever it is waiting: nothing is read
 * that the client's connection has not accepted, so a slow client costs one in-flight event.
 */
export class ShardSubscription extends StreamingResult {
  readonly contentType = EVENT_STREAM_CONTENT_TYPE;

  /** HTTP/1.1 and HTTP/2 responses both write, signal 'drain' and end alike. */
  private res?: NodeJS.WritableStream;
  private logger?: RequestContext['log'];
  private encoding: RequestContext['encoding'] = 'json';
  readonly log: string;
  private nextIndex: number;
  private continuation: string;
  private millisBehind = 0;
  private lastSentAt = 0;
  /** Bytes this subscription may still read now: refills at 2 MiB/s up to 2 MiB. */
  private allowance = CONSUMER_SHARD_BYTES_PER_SECOND;
  private refilledAt = Date.now();
  private pumping = false;
  /** Set when something happened while the pump was busy: it runs once more. */
  private dirty = false;
  /** Waiting for 'drain' or for the budget to refill. */
  private blocked = false;
  private checking = false;
  private ended = false;
  /** Settles once the lease is released and the response ended. */
  private closed: Promise<void> = Promise.resolve();
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly kinesis: Kinesis,
    public stream: StreamMeta,
    readonly consumer: ConsumerMeta,
    private shard: ShardMeta,
    start: SubscriptionStart,
    private readonly lease: { key: string; id: string; revision: number },
  ) {
    super();
    this.log = shardLogName(stream, shard);
    this.nextIndex = start.index;
    this.continuation = start.continuation;
  }

  pipe(res: ServerResponse, context: RequestContext): void {
    this.res = res as unknown as NodeJS.WritableStream;
    this.encoding = context.encoding;
    this.logger = context.log;
    const gone = () => this.close();
    if (context.signal.aborted) return gone();
    context.signal.addEventListener('abort', gone);
    this.cleanups.push(() => context.signal.removeEventListener('abort', gone));
    res.on('error', gone);

    this.write(initialResponseFrame(this.encoding));
    this.lastSentAt = Date.now();
    if (this.ended) return void res.end(); // the server began shutting down as this one started
    if (stopping.has(this.kinesis)) return void this.complete();
    this.cleanups.push(this.kinesis.store.records.watch(this.log, () => this.wake()));
    const lifetime = setTimeout(() => this.complete(), this.kinesis.config.subscriptionLifetimeMs);
    const checks = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.cleanups.push(() => clearTimeout(lifetime), () => clearInterval(checks));
    this.wake();
  }

  /** Ends the stream with an exception frame (§6.2 "Modeled exception"). */
  fail(exceptionType: string, message: string): void {
    if (this.ended) return;
    this.res?.write(exceptionFrame(this.encoding, exceptionType, message));
    this.close();
  }

  /**
   * The lifetime is over, or the server is shutting down: the response completes normally and
   * the client resubscribes (§6.4).
   */
  complete(): Promise<void> {
    this.close();
    return this.closed;
  }

  /** Ends the response (if the client is still there) and frees everything, the lease first. */
  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.kinesis.metrics?.unsubscribed(this.stream, this.consumer.name);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (local.get(this.lease.key) === this) local.delete(this.lease.key);
    if (![...local.values()].some((other) => other.log === this.log)) {
      tails.delete(tailKey(this.log, 'json'));
      tails.delete(tailKey(this.log, 'cbor'));
    }
    // Compare-and-set on our revision: a lease another subscription took over stays theirs. The
    // response ends once the lease is free, so a client resubscribing at once is not refused.
    const res = this.res;
    this.closed = this.kinesis.store.meta
      .delete(this.lease.key, this.lease.revision)
      .then(
        () => {},
        (err) => this.logger?.warn({ err, lease: this.lease.key }, 'could not release a subscription lease'),
      )
      .finally(() => res?.end());
  }

  private write(frame: Buffer): void {
    const res = this.res!;
    this.lastSentAt = Date.now();
    if (res.write(frame)) return;
    this.blocked = true;
    const drained = () => this.unblock();
    res.once('drain', drained);
    this.cleanups.push(() => res.off('drain', drained));
  }

  private unblock(): void {
    this.blocked = false;
    this.wake();
  }

  private wake(): void {
    if (this.ended) return;
    if (this.pumping || this.blocked) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err) => this.internalFailure(err))
      .finally(() => {
        this.pumping = false;
        if (this.dirty) this.wake();
      });
  }

  /** Delivers everything there is to deliver, as fast as the client and the budget allow. */
  private async pump(): Promise<void> {
    while (!this.ended && !this.blocked) {
      this.dirty = false;
      const budget = this.refill();
      if (budget <= 0) {
        this.blocked = true;
        const timer = setTimeout(() => this.unblock(), Math.ceil((-budget / CONSUMER_SHARD_BYTES_PER_SECOND) * 1000) + 1);
        this.cleanups.push(() => clearTimeout(timer));
        return;
      }
      if (this.deliverTail(budget)) {
        if (this.caughtUp()) return;
        continue;
      }
      // Another subscription of this shard is reading from here already: wait for its event.
      const key = tailKey(this.log, this.encoding);
      const reading = building.get(key);
      if (reading && reading.from === this.nextIndex) {
        await reading.done;
        if (this.ended) return;
        continue; // its event, or else a read of our own
      }
      let finish!: () => void;
      const mine = { from: this.nextIndex, done: new Promise<void>((resolve) => (finish = resolve)) };
      building.set(key, mine);
      try {
        if (!(await this.readAndSend(budget, key))) return;
      } finally {
        if (building.get(key) === mine) building.delete(key);
        finish();
      }
      if (this.caughtUp()) return;
    }
  }

  /**
   * Everything durable in an open shard is delivered: the next append wakes the pump, so it stops
   * here instead of reading nothing (one read per subscription and event, which at 10 consumers
   * on 10 shards was a hundred empty reads every time records arrived). Stores that cannot tell
   * without I/O (NATS) read as before; a closed shard reads on, to send its end. When caught up,
   * a pending wake-up (`dirty`) is spent too: whatever it announced has been delivered.
   */
  private caughtUp(): boolean {
    if (this.shard.closedAt !== undefined || this.kinesis.store.records.durableEnd?.(this.log) !== this.nextIndex) return false;
    this.dirty = false;
    return true;
  }

  /** One read from the log and its event; false when there is nothing to do until woken again. */
  private async readAndSend(budget: number, key: string): Promise<boolean> {
    const time = now();
    const from = this.nextIndex;
    const result = await this.kinesis.store.records.read(this.log, this.nextIndex, {
      limit: MAX_RECORDS_PER_EVENT,
      maxBytes: budget,
      notBefore: retentionHorizon(this.stream, time),
    });
    if (this.ended) return false;
    const { records } = result;
    this.nextIndex = Math.max(this.nextIndex, result.nextIndex);
    const atTip = this.nextIndex >= result.tipIndex;
    if (records.length === 0) {
      if (atTip && this.shard.closedAt !== undefined) {
        // The end once writes to the shard have ended (its children exist) and all it took was read.
        const end = await closedShardEnd(this.kinesis, this.stream, this.shard);
        if (this.ended) return false;
        if (end !== undefined && this.nextIndex >= end) {
          this.endOfShard();
          return false;
        }
        if (end !== undefined) return true;
      }
      return this.dirty;
    }
    const last = records[records.length - 1];
    this.continuation = recordSequenceNumber(this.shard, last.index, last.arrival);
    this.millisBehind = atTip ? 0 : Math.max(0, time - last.arrival);
    const bytes = records.reduce((sum, record) => sum + recordBytes(record), 0);
    this.allowance -= bytes;
    const clear = await decryptRecords(this.kinesis, records);
    if (this.ended) return false;
    const frame = eventFrame(this.encoding, 'SubscribeToShardEvent', {
      Records: toApiRecords(this.shard, clear),
      ContinuationSequenceNumber: this.continuation,
      MillisBehindLatest: this.millisBehind,
    });
    if (atTip) tails.set(key, { from, next: this.nextIndex, bytes, continuation: this.continuation, frame, builtAt: Date.now() });
    this.write(frame);
    this.kinesis.metrics?.subscriptionEvent(this.stream, this.consumer.name, this.shard.index, records.length, bytes, this.millisBehind);
    return true;
  }

  /** Sends the shard's shared tail event if it starts where this subscription stands. */
  private deliverTail(budget: number): boolean {
    const key = tailKey(this.log, this.encoding);
    const tail = tails.get(key);
    if (!tail) return false;
    if (Date.now() - tail.builtAt > TAIL_EVENT_REUSE_MS) {
      tails.delete(key);
      return false;
    }
    if (tail.from !== this.nextIndex || tail.bytes > budget) return false;
    this.nextIndex = tail.next;
    this.continuation = tail.continuation;
    this.millisBehind = 0;
    this.allowance -= tail.bytes;
    this.write(tail.frame);
    this.kinesis.metrics?.subscriptionEvent(this.stream, this.consumer.name, this.shard.index, tail.next - tail.from, tail.bytes, 0);
    return true;
  }

  private refill(): number {
    const at = Date.now();
    this.allowance = Math.min(CONSUMER_SHARD_BYTES_PER_SECOND, this.allowance + ((at - this.refilledAt) / 1000) * CONSUMER_SHARD_BYTES_PER_SECOND);
    this.refilledAt = at;
    return this.allowance;
  }

  /**
   * The shard is closed and every record was delivered: a final event with the children and no
   * ContinuationSequenceNumber, which KCL reads as the shard's end (§6.3, §9.7); then the end.
   */
  private endOfShard(): void {
    this.write(
      eventFrame(this.encoding, 'SubscribeToShardEvent', {
        Records: [],
        MillisBehindLatest: 0,
        ChildShards: childShards(this.stream, this.shard),
      }),
    );
    this.close();
  }

  /** What other nodes may have changed, and the heartbeat. */
  private async check(): Promise<void> {
    if (this.ended || this.checking) return;
    this.checking = true;
    try {
      const { streams, store } = this.kinesis;
      const stream = await streams.find(this.stream, this.stream.name);
      if (this.ended) return;
      if (!stream || stream.id !== this.stream.id || stream.status === 'DELETING') {
        return this.fail('ResourceNotFoundException', `Stream ${this.stream.name} under account ${this.stream.account} not found.`);
      }
      const consumer = await findConsumer(store, stream.id, this.consumer.name);
      if (this.ended) return;
      if (!consumer || consumer.arn !== this.consumer.arn || consumer.status !== 'ACTIVE') {
        return this.fail('ResourceNotFoundException', consumerNotFound(this.consumer.arn, this.stream.account).message);
      }
      const lease = await store.meta.get<Lease>(this.lease.key);
      if (this.ended) return;
      if (lease?.value.id !== this.lease.id) {
        return this.fail('ResourceInUseException', takenOver(this.stream, this.consumer, this.shard));
      }
      const shard = stream.shards.find((s) => s.index === this.shard.index);
      if (!shard) {
        return this.fail('ResourceNotFoundException', `Shard ${formatShardId(this.shard.index)} in stream ${stream.name} under account ${stream.account} does not exist`);
      }
      this.stream = stream;
      // A closed shard is read on until its end, which comes when writes to it end: look again each check.
      if (shard.closedAt !== undefined) {
        this.shard = shard;
        this.wake();
      }
      if (!this.blocked && !this.pumping && Date.now() - this.lastSentAt >= HEARTBEAT_INTERVAL_MS) this.heartbeat();
    } catch (err) {
      this.internalFailure(err);
    } finally {
      this.checking = false;
    }
  }

  /** Internal errors end the stream with an InternalFailureException frame (§6.4). */
  private internalFailure(err: unknown): void {
    this.logger?.warn({ err, log: this.log }, 'subscription failed');
    this.fail('InternalFailureException', 'Internal service failure.');
  }

  /**
   * An empty event that still carries a valid resume position (§6.3). Only sent while the pump is
   * idle, which means every record was delivered: the subscriber is not behind.
   */
  private heartbeat(): void {
    this.millisBehind = 0;
    this.kinesis.metrics?.subscriptionEvent(this.stream, this.consumer.name, this.shard.index, 0, 0, 0);
    this.write(
      eventFrame(this.encoding, 'SubscribeToShardEvent', {
        Records: [],
        ContinuationSequenceNumber: this.continuation,
        MillisBehindLatest: this.millisBehind,
      }),
    );
  }
}
