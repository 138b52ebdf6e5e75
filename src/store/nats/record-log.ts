import { EventEmitter } from 'node:events';
import { nuid, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { AwsError, serviceUnavailable } from '../../protocol/errors.js';
import { recordSize } from '../log-state.js';
import { SealedLogError, type NewRecord, type ReadOptions, type ReadResult, type RecordLog, type StoredRecord } from '../store.js';
import { encodedRecordSize } from '../record-encoding.js';
import { decodeRecords, encodeMessage, MessageKind, MESSAGE_OVERHEAD, peekMessage } from './log-message.js';
import { logNotifySubject, logStreamName, logSubject } from './names.js';
import { apiCode, isNoResponders, isTransient, OPERATION_DEADLINE_MS, pause, REQUEST_TIMEOUT_MS, RETRY_PAUSE_MS, toAwsError, withRetry } from './failures.js';

/**
 * Shard logs over JetStream: ONE JETSTREAM STREAM PER SHARD LOG.
 *
 * Why: every JetStream stream is its own Raft group whose leader the cluster places on some
 * server, so the shards of one Kinesis stream (and of all streams) spread their write load over
 * the cluster; a stream's sequence is a per-shard order assigned by its leader; MaxAge retention,
 * purge and delete are per shard, which is exactly retention, trim and drop. (One JetStream stream
 * per Kinesis stream with a subject per shard would put all its shards behind one leader and
 * share one sequence between shards.)
 *
 * Positions: one message is one group commit of up to SLOTS records, so a record's index is
 * (JetStream sequence - 1) * SLOTS + its place in the message: strictly increasing and never
 * reused (JetStream never reuses a sequence, not even after purge), and the tip is
 * last sequence * SLOTS. Message 1 of every log is an OPEN marker.
 *
 * Order and sealing: every publish states the sequence it must follow (Nats-Expected-Last-Sequence),
 * so messages from different nodes are linearised by the stream leader and the arrival time a node
 * writes is never older than the message before it. A log is sealed by appending a SEAL marker
 * the same way: any later append states a sequence that is no longer the last, re-reads the last
 * message, finds the marker and refuses — on every node. (JetStream's own `sealed` flag would
 * also forbid the purges that retention needs on a closed shard.)
 *
 * Retries: a publish carries a Nats-Msg-Id; one that timed out is repeated with the same id and
 * expectation, and since a publish expecting sequence L can only ever be stored as L + 1, message
 * L + 1 tells for certain whether it was stored. Nothing is acknowledged before JetStream's PubAck
 * (stored by the stream's quorum).
 */
export const SLOTS = 65_536;

/** MaxAge is the cluster's own retention backstop, set a little beyond the retention trim enforces. */
const MAX_AGE_SLACK_MS = 10 * 60_000;
/** Messages fetched at once by a read. */
const READ_WINDOW = 32;
/** Kept free of a message's max_payload for headers. */
const HEADER_ALLOWANCE = 1024;
const NS_PER_MS = 1_000_000;
const DUPLICATE_WINDOW_NS = 2 * 60_000 * NS_PER_MS;

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const WRONG_LAST_SEQUENCE = [10071, 10164];
const NO_MESSAGE_FOUND = 10037;

/** What a node last knew about the end of a log (a cache: conflicts refresh it from the leader). */
interface LogEnd {
  seq: number;
  /** Arrival of the newest record (0 = unknown or none). */
  arrival: number;
  sealed: boolean;
}

interface PendingAppend {
  records: NewRecord[];
  size: number;
  /** RecordLog.append's `writesEnd`: such an append is published alone (a closed shard's last second). */
  writesEnd?: number;
  resolve(records: StoredRecord[]): void;
  reject(err: unknown): void;
}

interface LogWriter {
  queue: PendingAppend[];
  busy: boolean;
}

export interface NatsRecordLogOptions {
  replicas: number;
}

export class NatsRecordLog implements RecordLog {
  private readonly ends = new Map<string, LogEnd>();
  private readonly writers = new Map<string, LogWriter>();
  /** Arrival of the oldest message kept, per log: lets trim skip the cluster when nothing expired. */
  private readonly oldest = new Map<string, number>();
  /** Arrival of the message at a sequence (immutable once stored), for lastArrival. */
  private readonly lastArrivals = new Map<string, { seq: number; arrival: number }>();
  private readonly notifier = new EventEmitter();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly budget: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsRecordLogOptions,
  ) {
    this.notifier.setMaxListeners(0);
    this.budget = (nc.info?.max_payload ?? 1024 * 1024) - HEADER_ALLOWANCE;
  }

  // ---- appends -------------------------------------------------------------------------------

  append(log: string, records: NewRecord[], writesEnd?: number): Promise<StoredRecord[]> {
    if (records.length === 0) return Promise.resolve([]);
    const size = records.reduce((sum, r) => sum + encodedRecordSize(r), 0);
    for (const record of records) {
      if (MESSAGE_OVERHEAD + encodedRecordSize(record) > this.budget) {
        return Promise.reject(
          new AwsError('InternalFailure', `A record does not fit into a NATS message: raise max_payload of the nats-server (now ${this.budget + HEADER_ALLOWANCE} bytes)`, 500),
        );
      }
    }
    let writer = this.writers.get(log);
    if (!writer) {
      writer = { queue: [], busy: false };
      this.writers.set(log, writer);
    }
    const done = new Promise<StoredRecord[]>((resolve, reject) => writer.queue.push({ records, size, writesEnd, resolve, reject }));
    if (!writer.busy) void this.drain(log, writer);
    return done;
  }

  /** One publish per log at a time from this node; appends that arrive meanwhile share the next one. */
  private async drain(log: string, writer: LogWriter): Promise<void> {
    writer.busy = true;
    try {
      while (writer.queue.length) {
        const group: PendingAppend[] = [];
        let count = 0;
        let size = MESSAGE_OVERHEAD;
        while (writer.queue.length) {
          const next = writer.queue[0];
          if (group.length && (count + next.records.length > SLOTS || size + next.size > this.budget || next.writesEnd !== undefined || group[0].writesEnd !== undefined)) break;
          group.push(writer.queue.shift()!);
          count += next.records.length;
          size += next.size;
        }
        try {
          const stored = await this.commit(log, group.flatMap((g) => g.records), group[0].writesEnd);
          let at = 0;
          for (const g of group) {
            g.resolve(stored.slice(at, at + g.records.length));
            at += g.records.length;
          }
          this.nc.publish(logNotifySubject(log));
        } catch (err) {
          for (const g of group) g.reject(toAwsError(err));
        }
      }
    } finally {
      writer.busy = false;
    }
  }

  /**
   * Stores records as one message, or as several consecutive ones when they exceed max_payload
   * (then a seal that lands between two of them leaves the first ones stored).
   */
  private async commit(log: string, records: NewRecord[], writesEnd: number | undefined): Promise<StoredRecord[]> {
    const parts: NewRecord[][] = [[]];
    let size = MESSAGE_OVERHEAD;
    for (const record of records) {
      const recordBytes = encodedRecordSize(record);
      if (parts.at(-1)!.length && (size + recordBytes > this.budget || parts.at(-1)!.length >= SLOTS)) {
        parts.push([]);
        size = MESSAGE_OVERHEAD;
      }
      parts.at(-1)!.push(record);
      size += recordBytes;
    }
    const stored: StoredRecord[] = [];
    for (const part of parts) stored.push(...(await this.publishRecords(log, part, writesEnd)));
    return stored;
  }

  private async publishRecords(log: string, records: NewRecord[], writesEnd: number | undefined): Promise<StoredRecord[]> {
    const { seq, arrival } = await this.publishAfterEnd(log, (end) => {
      if (end.sealed) throw new SealedLogError(log);
      const arrival = Math.max(Date.now(), end.arrival);
      if (writesEnd !== undefined && arrival >= writesEnd) throw new SealedLogError(log);
      return { kind: MessageKind.Records, arrival, records };
    });
    const first = (seq - 1) * SLOTS;
    return records.map((record, i) => ({ ...record, index: first + i, arrival }));
  }

  /**
   * Publishes the message `build` makes from the log's current end, as the message right after
   * that end; retries until stored, refused by `build`, or out of time.
   */
  private async publishAfterEnd(
    log: string,
    build: (end: LogEnd) => { kind: MessageKind; arrival: number; records: NewRecord[] },
  ): Promise<{ seq: number; arrival: number }> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    let end = this.ends.get(log) ?? (await this.refreshEnd(log, deadline));
    for (let round = 0; ; round++) {
      // Other writers kept moving the end: answer 503 (the client retries) rather than spin.
      if (round > 0 && Date.now() >= deadline) throw serviceUnavailable(`The shard log ${log} stayed contended for ${OPERATION_DEADLINE_MS} ms`);
      const message = build(end);
      const payload = encodeMessage(message);
      const msgID = nuid.next();
      let uncertain = false;
      for (;;) {
        try {
          const ack = await this.js.publish(logSubject(log), payload, {
            msgID,
            expect: { lastSequence: end.seq, streamName: logStreamName(log) },
            timeout: REQUEST_TIMEOUT_MS,
          });
          this.ends.set(log, { seq: ack.seq, arrival: message.kind === MessageKind.Records ? message.arrival : end.arrival, sealed: message.kind === MessageKind.Seal });
          return { seq: ack.seq, arrival: message.arrival };
        } catch (err) {
          if (WRONG_LAST_SEQUENCE.includes(apiCode(err) ?? 0)) {
            // Our message can only be stored as end.seq + 1: look there when an attempt was lost.
            if (uncertain && (await this.storedAs(log, end.seq + 1, msgID, deadline))) {
              this.ends.set(log, { seq: end.seq + 1, arrival: message.kind === MessageKind.Records ? message.arrival : end.arrival, sealed: message.kind === MessageKind.Seal });
              return { seq: end.seq + 1, arrival: message.arrival };
            }
            end = await this.refreshEnd(log, deadline);
            break;
          }
          if (!isTransient(err) || Date.now() >= deadline) {
            this.ends.delete(log);
            throw toAwsError(err);
          }
          // Timed out or no leader: the same id and expectation, so a stored attempt is not doubled.
          uncertain = true;
          await pause(50);
          if (isNoResponders(err) && !(await this.streamExists(log, deadline))) {
            end = await this.refreshEnd(log, deadline);
            break;
          }
        }
      }
    }
  }

  private async storedAs(log: string, seq: number, msgID: string, deadline: number): Promise<boolean> {
    const message = await this.leaderGet(log, seq, deadline);
    return message?.header?.get('Nats-Msg-Id') === msgID;
  }

  private async streamExists(log: string, deadline: number): Promise<boolean> {
    return (await this.info(log, deadline)) !== undefined;
  }

  /** Reads the end of the log from the stream leader, creating and opening the log if needed. */
  private async refreshEnd(log: string, deadline: number): Promise<LogEnd> {
    for (;;) {
      const last = await withRetry(async () => {
        try {
          return await this.jsm.streams.getMessage(logStreamName(log), { last_by_subj: logSubject(log) });
        } catch (err) {
          if (apiCode(err) === STREAM_NOT_FOUND) return 'missing' as const;
          if (apiCode(err) === NO_MESSAGE_FOUND) return null;
          throw err;
        }
      }, deadline);
      if (last === 'missing') {
        await this.createStream(log, deadline);
        continue;
      }
      let end: LogEnd;
      if (last) {
        const { kind, arrival } = peekMessage(last.data);
        end = { seq: last.seq, arrival, sealed: kind === MessageKind.Seal };
      } else {
        // Everything expired (or nothing written yet): the sequence survives in the stream state.
        const info = await this.info(log, deadline);
        end = { seq: info?.state.last_seq ?? 0, arrival: 0, sealed: false };
      }
      if (end.seq === 0) {
        // A new log: the OPEN marker makes every later publish state an expected sequence ≥ 1.
        // Its fixed id lets nodes racing here store it once.
        await withRetry(
          () => this.js.publish(logSubject(log), encodeMessage({ kind: MessageKind.Open, arrival: 0, records: [] }), { msgID: `open:${log}`, timeout: REQUEST_TIMEOUT_MS }),
          deadline,
        );
        continue;
      }
      this.ends.set(log, end);
      return end;
    }
  }

  private async createStream(log: string, deadline: number): Promise<void> {
    await withRetry(async () => {
      try {
        await this.jsm.streams.add({
          name: logStreamName(log),
          subjects: [logSubject(log)],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          num_replicas: this.options.replicas,
          duplicate_window: DUPLICATE_WINDOW_NS,
          allow_direct: true,
          deny_delete: true,
        });
      } catch (err) {
        if (apiCode(err) !== STREAM_NAME_IN_USE) throw err;
      }
    }, deadline);
  }

  // ---- reads ---------------------------------------------------------------------------------

  private async info(log: string, deadline = Date.now() + OPERATION_DEADLINE_MS): Promise<StreamInfo | undefined> {
    return withRetry(async () => {
      try {
        return await this.jsm.streams.info(logStreamName(log));
      } catch (err) {
        if (apiCode(err) === STREAM_NOT_FOUND) return undefined;
        throw err;
      }
    }, deadline);
  }

  /** A message by sequence from the stream leader; undefined when it is gone (trimmed). */
  private async leaderGet(log: string, seq: number, deadline: number): Promise<StoredMsg | undefined> {
    return withRetry(async () => {
      try {
        return (await this.jsm.streams.getMessage(logStreamName(log), { seq })) ?? undefined;
      } catch (err) {
        if (apiCode(err) === NO_MESSAGE_FOUND || apiCode(err) === STREAM_NOT_FOUND) return undefined;
        throw err;
      }
    }, deadline);
  }

  /**
   * A message known to lie within [first, last] of the stream: any replica may answer (direct
   * get), and one that has not caught up yet is passed over for the leader.
   */
  private async getStored(log: string, seq: number, deadline: number): Promise<StoredMsg | undefined> {
    try {
      const message = await this.jsm.direct.getMessage(logStreamName(log), { seq });
      if (message) return message;
    } catch (err) {
      if (!(err instanceof JetStreamApiError) && !isTransient(err)) throw toAwsError(err);
    }
    return this.confirmedGet(log, seq, deadline);
  }

  /**
   * The message at `seq` from the leader, or undefined only once it is certainly gone: purged
   * (the stream's first sequence has moved past it) or the stream deleted. Logs lose messages only
   * by purging a prefix (deny_delete), so a message inside [first, last] that the leader does not
   * return is one it has not applied yet — a leader elected moments ago. Taking that for "trimmed"
   * made readers skip records and let trim purge acknowledged ones; instead, ask again until the
   * deadline, then answer 503.
   */
  private async confirmedGet(log: string, seq: number, deadline: number): Promise<StoredMsg | undefined> {
    for (;;) {
      const message = await this.leaderGet(log, seq, deadline);
      if (message) return message;
      const info = await this.info(log, deadline);
      // (A last sequence below `seq` comes from a leader that is behind, not from a shorter log.)
      if (!info || info.state.first_seq > seq) return undefined;
      if (Date.now() + RETRY_PAUSE_MS >= deadline) throw serviceUnavailable(`Message ${seq} of the shard log ${log} is not available from the stream leader`);
      await pause(RETRY_PAUSE_MS);
    }
  }

  async read(log: string, fromIndex: number, options: ReadOptions): Promise<ReadResult> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    const info = await this.info(log, deadline);
    if (!info) return { records: [], nextIndex: fromIndex, tipIndex: 0 };
    const { first_seq: firstSeq, last_seq: lastSeq } = info.state;
    const tipIndex = lastSeq * SLOTS;
    const records: StoredRecord[] = [];
    let nextIndex = fromIndex;
    let bytes = 0;
    let lastArrival: number | undefined;
    let seq = Math.max(Math.floor(fromIndex / SLOTS) + 1, firstSeq);
    let full = false;
    while (seq <= lastSeq && !full && records.length < options.limit) {
      const window = Array.from({ length: Math.min(READ_WINDOW, lastSeq - seq + 1) }, (_, i) => this.getStored(log, seq + i, deadline));
      const messages = await Promise.all(window);
      for (const message of messages) {
        if (full || records.length >= options.limit) break;
        const messageSeq = seq++;
        if (!message) {
          nextIndex = Math.max(nextIndex, messageSeq * SLOTS);
          continue;
        }
        const { kind, arrival } = peekMessage(message.data);
        if (messageSeq === lastSeq) lastArrival = arrival || undefined;
        if (kind !== MessageKind.Records) {
          nextIndex = Math.max(nextIndex, messageSeq * SLOTS);
          continue;
        }
        for (const record of decodeRecords(message.data, (messageSeq - 1) * SLOTS)) {
          if (record.index < fromIndex) continue;
          if (records.length >= options.limit) {
            full = true;
            break;
          }
          if (record.arrival < options.notBefore) {
            nextIndex = record.index + 1;
            continue;
          }
          const size = recordSize(record);
          if (records.length > 0 && bytes + size > options.maxBytes) {
            full = true;
            break;
          }
          bytes += size;
          records.push(record);
          nextIndex = record.index + 1;
        }
        // A message read to its end continues at the next message's first index.
        if (!full) nextIndex = Math.max(nextIndex, messageSeq * SLOTS);
      }
    }
    if (lastArrival === undefined && lastSeq > 0) lastArrival = await this.arrivalAt(log, lastSeq, deadline);
    return { records, nextIndex, tipIndex, lastArrival };
  }

  /** Arrival of the newest record as of message `seq` (the log's last), cached by sequence. */
  private async arrivalAt(log: string, seq: number, deadline: number): Promise<number | undefined> {
    const cached = this.lastArrivals.get(log);
    if (cached?.seq === seq) return cached.arrival || undefined;
    const message = await this.getStored(log, seq, deadline);
    const arrival = message ? peekMessage(message.data).arrival : 0;
    this.lastArrivals.set(log, { seq, arrival });
    return arrival || undefined;
  }

  async indexAtTime(log: string, time: number): Promise<number> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    const info = await this.info(log, deadline);
    if (!info) return 0;
    const found = await this.firstMessageAtOrAfter(log, info, time, deadline);
    return found === undefined || found.kind !== MessageKind.Records ? info.state.last_seq * SLOTS : (found.seq - 1) * SLOTS;
  }

  /**
   * Binary search over the kept messages for the first whose records arrived at or after `time`
   * (arrival is non-decreasing along the log). OPEN counts as older than anything, SEAL as newer.
   */
  private async firstMessageAtOrAfter(
    log: string,
    info: StreamInfo,
    time: number,
    deadline: number,
  ): Promise<{ seq: number; kind: MessageKind; arrival: number } | undefined> {
    let lo = info.state.first_seq;
    let hi = info.state.last_seq + 1;
    let found: { seq: number; kind: MessageKind; arrival: number } | undefined;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const message = await this.getStored(log, mid, deadline);
      if (!message) {
        lo = mid + 1; // trimmed meanwhile: older than anything kept
        continue;
      }
      const { kind, arrival } = peekMessage(message.data);
      const key = kind === MessageKind.Open ? -Infinity : kind === MessageKind.Seal ? Infinity : arrival;
      if (key >= time) {
        hi = mid;
        found = { seq: mid, kind, arrival };
      } else lo = mid + 1;
    }
    return found;
  }

  async tip(log: string): Promise<number> {
    const info = await this.info(log);
    return (info?.state.last_seq ?? 0) * SLOTS;
  }

  // ---- seal, trim, drop ----------------------------------------------------------------------

  async seal(log: string): Promise<number> {
    try {
      const end = await this.refreshEnd(log, Date.now() + OPERATION_DEADLINE_MS);
      if (end.sealed) return end.seq * SLOTS;
      const { seq } = await this.publishAfterEnd(log, (current) => {
        if (current.sealed) throw new AlreadySealed(current.seq);
        return { kind: MessageKind.Seal, arrival: current.arrival, records: [] };
      });
      // The marker must outlive retention: the cluster stops expiring this log by age; trim
      // (which never purges the marker) keeps enforcing retention.
      await this.setMaxAge(log, 0);
      return seq * SLOTS;
    } catch (err) {
      if (err instanceof AlreadySealed) return err.seq * SLOTS;
      throw toAwsError(err);
    }
  }

  async trim(log: string, time: number): Promise<void> {
    const oldest = this.oldest.get(log);
    if (oldest !== undefined && oldest >= time) return;
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    const info = await this.info(log, deadline);
    if (!info) return;
    const found = info.state.messages ? await this.firstMessageAtOrAfter(log, info, time, deadline) : undefined;
    const keepFrom = found?.seq ?? info.state.last_seq + 1;
    // Purging is the one way records leave a log: it removes only what is positively expired, so
    // the message just below the cut must be there and older than `time` (arrivals never decrease).
    if (keepFrom > info.state.first_seq) {
      const below = await this.confirmedGet(log, keepFrom - 1, deadline);
      const { kind, arrival } = below ? peekMessage(below.data) : { kind: undefined, arrival: 0 };
      if (kind === MessageKind.Records && arrival < time) {
        await withRetry(() => this.jsm.streams.purge(logStreamName(log), { seq: keepFrom }), deadline);
      } else if (kind !== MessageKind.Open) {
        return; // not positively expired: the next sweep looks again
      }
      // Only the OPEN marker lies below: it stays, so a log sees a purge only when records expire.
      // With nats-server 2.9.10, a replica restarted after the marker's purge caught up without
      // the messages that followed it, and took them away as the next leader (the failover test
      // saw first sequence 26 instead of 2).
    }
    // Everything older than `time` is gone and later records arrive later still.
    this.oldest.set(log, found?.kind === MessageKind.Seal ? Infinity : Math.max(found?.arrival ?? time, time));
    if (found?.kind === MessageKind.Seal) return;
    const desired = Math.max(0, Date.now() - time) + MAX_AGE_SLACK_MS;
    const current = (info.config.max_age ?? 0) / NS_PER_MS;
    if (Math.abs(current - desired) > MAX_AGE_SLACK_MS / 2 && !(await this.isSealed(log, info, deadline))) {
      await this.setMaxAge(log, desired);
    }
  }

  private async isSealed(log: string, info: StreamInfo, deadline: number): Promise<boolean> {
    const last = await this.getStored(log, info.state.last_seq, deadline);
    return last !== undefined && peekMessage(last.data).kind === MessageKind.Seal;
  }

  private async setMaxAge(log: string, ms: number): Promise<void> {
    await withRetry(async () => {
      try {
        await this.jsm.streams.update(logStreamName(log), { max_age: ms * NS_PER_MS });
      } catch (err) {
        if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
      }
    });
  }

  async drop(log: string): Promise<void> {
    await withRetry(async () => {
      try {
        await this.jsm.streams.delete(logStreamName(log));
      } catch (err) {
        if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
      }
    });
    this.ends.delete(log);
    this.oldest.delete(log);
    this.lastArrivals.delete(log);
  }

  // ---- push ----------------------------------------------------------------------------------

  /** Every node subscribes to the log's announcement subject while it has watchers. */
  watch(log: string, listener: () => void): () => void {
    this.notifier.on(log, listener);
    if (!this.subscriptions.has(log)) {
      const subscription = this.nc.subscribe(logNotifySubject(log), {
        callback: () => {
          this.notifier.emit(log);
        },
      });
      this.subscriptions.set(log, subscription);
    }
    return () => {
      this.notifier.off(log, listener);
      if (this.notifier.listenerCount(log) === 0) {
        this.subscriptions.get(log)?.unsubscribe();
        this.subscriptions.delete(log);
      }
    };
  }
}

class AlreadySealed extends Error {
  constructor(readonly seq: number) {
    super('already sealed');
  }
}
