import { decryptRecords } from '../../kinesis/domain/encryption.js';
import { retentionHorizon, ShardSequences } from '../../kinesis/domain/records.js';
import { formatShardId, parseShardId } from '../../kinesis/domain/shard-id.js';
import { shardLogName, type ShardMeta, type StreamMeta } from '../../kinesis/domain/stream.js';
import type { ServerRequest, ServerResponse } from '../../protocol/http-exchange.js';
import type { ConsoleDeps } from '../deps.js';
import { ApiError, badParameter, notFound } from './errors.js';
import { text, type ConsoleScope } from './params.js';
import { requireStream } from './streams.js';

/**
 * Live tail (CONSOLE-SPEC §1.3 "Live tail"): server-sent events of the records written to a
 * stream after the tail opened. The tail reads every new record (counts are exact) but holds at
 * most TAIL_BUFFER_RECORDS waiting for a slow browser; what it had to drop is reported as
 * `skipped`, so memory stays bounded however long the page stays open and however fast the
 * stream is written.
 */

/** Records held for a browser that does not keep up; older ones are dropped and counted. */
export const TAIL_BUFFER_RECORDS = 1_000;
/**
 * Records sent to one page per second at most (a burst of this many passes at once): a stream
 * written faster is sampled, the rest counted as `sampled`, so a browser tab stays responsive at
 * any rate while its counts stay exact.
 */
export const TAIL_RECORDS_PER_SECOND = 1_000;
/** Records sent in one event at most (the rest wait for the next). */
const TAIL_EVENT_RECORDS = 500;
/** Data bytes of one record sent in an event; the detail view reads the whole record. */
export const TAIL_DATA_BYTES = 4 * 1024;
/** One read of a shard log. */
const TAIL_READ_RECORDS = 1_000;
const TAIL_READ_BYTES = 1024 * 1024;
/** Looks at the stream again this often: new shards after a reshard, a deleted stream. */
const TAIL_REFRESH_MS = 1_000;
/** An idle tail sends a comment this often, so proxies and the browser keep the connection. */
const TAIL_HEARTBEAT_MS = 15_000;
/** Tails open at once in this process. */
export const MAX_TAILS = 64;

/** The tails one console has open: ended together when the server shuts down. */
export class OpenTails {
  readonly tails = new Set<{ end(): void }>();

  endAll(): void {
    for (const tail of this.tails) tail.end();
  }
}

interface Filter {
  keyPrefix?: string;
  contains?: string;
}

export async function startTail(deps: ConsoleDeps, open: OpenTails, scope: ConsoleScope, name: string, url: URL, req: ServerRequest, res: ServerResponse): Promise<void> {
  const filter: Filter = { keyPrefix: text(url, 'key', 256), contains: text(url, 'contains', 1024) };
  const shardParam = text(url, 'shard', 128);
  const shardIndex = shardParam === undefined ? undefined : parseShardId(shardParam);
  if (shardParam !== undefined && shardIndex === undefined) throw badParameter(`shard must be a shard id such as shardId-000000000000, got ${JSON.stringify(shardParam)}`);
  const stream = await requireStream(deps, scope, name);
  if (shardIndex !== undefined && !stream.shards.some((s) => s.index === shardIndex)) throw notFound(`stream ${name} has no shard ${formatShardId(shardIndex)}`);
  if (open.tails.size >= MAX_TAILS) throw new ApiError(429, 'TooManyTails', `at most ${MAX_TAILS} live tails may be open at once`);
  const tail = new Tail(deps, scope, stream, shardIndex, filter, res, () => open.tails.delete(tail));
  open.tails.add(tail);
  req.on('close', () => tail.end());
  res.on('close', () => tail.end());
  await tail.start();
}

class Tail {
  private readonly positions = new Map<number, number>();
  private readonly sequences = new Map<number, ShardSequences>();
  private readonly unwatch = new Map<number, () => void>();
  private queue: object[] = [];
  private skipped = 0;
  private sampled = 0;
  /** Token bucket of TAIL_RECORDS_PER_SECOND. */
  private tokens = TAIL_RECORDS_PER_SECOND;
  private refilledAt = Date.now();
  private seen = 0;
  private filtered = 0;
  private pumping = false;
  private again = false;
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private readonly startedAt = Date.now();

  constructor(
    private readonly deps: ConsoleDeps,
    private readonly scope: ConsoleScope,
    private stream: StreamMeta,
    private readonly shardIndex: number | undefined,
    private readonly filter: Filter,
    private readonly res: ServerResponse,
    private readonly onEnd: () => void,
  ) {}

  async start(): Promise<void> {
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    await this.follow(this.stream, true);
    this.write('ready', { stream: this.stream.name, shards: [...this.positions.keys()].map(formatShardId), buffer: TAIL_BUFFER_RECORDS });
    this.timers.push(setInterval(() => void this.refresh(), TAIL_REFRESH_MS));
    this.timers.push(setInterval(() => this.comment(), TAIL_HEARTBEAT_MS));
    for (const timer of this.timers) timer.unref();
    this.res.on('drain', () => this.flush());
  }

  /** Starts following shards it does not follow yet: open ones at their tip now, later children from their first record. */
  private async follow(stream: StreamMeta, atStart: boolean): Promise<void> {
    for (const shard of stream.shards) {
      if (this.positions.has(shard.index)) continue;
      if (this.shardIndex !== undefined && shard.index !== this.shardIndex && !this.descends(stream, shard)) continue;
      // At the start the open shards; later only shards created since (a reshard's children).
      if (atStart ? shard.closedAt !== undefined : shard.createdAt < this.startedAt) continue;
      const log = shardLogName(stream, shard);
      this.positions.set(shard.index, atStart ? await this.deps.kinesis.store.records.tip(log) : 0);
      this.sequences.set(shard.index, new ShardSequences(shard));
      this.unwatch.set(shard.index, this.deps.kinesis.store.records.watch(log, () => this.wake()));
    }
  }

  /** A shard split or merged from the followed one continues it. */
  private descends(stream: StreamMeta, shard: ShardMeta): boolean {
    const parents = [shard.parent, shard.adjacentParent].filter((p): p is number => p !== undefined);
    return parents.some((p) => this.positions.has(p));
  }

  private async refresh(): Promise<void> {
    if (this.ended) return;
    try {
      const current = await this.deps.kinesis.streams.find(this.scope, this.stream.name);
      if (!current || current.id !== this.stream.id) {
        this.write('end', { reason: `stream ${this.stream.name} was deleted` });
        this.end();
        return;
      }
      this.stream = current;
      await this.follow(current, false);
      this.wake(); // stores whose watch may miss a change are read at least this often
    } catch (err) {
      this.deps.log.warn({ err }, 'console live tail: refreshing the stream failed');
    }
  }

  private wake(): void {
    if (this.ended) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((err) => this.deps.log.warn({ err }, 'console live tail: reading failed'))
      .finally(() => {
        this.pumping = false;
        if (this.again && !this.ended) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Reads every followed shard up to its tip, queueing what matches the filter. */
  private async pump(): Promise<void> {
    const { store } = this.deps.kinesis;
    for (const [index, from] of this.positions) {
      const shard = this.stream.shards.find((s) => s.index === index);
      if (!shard) continue;
      let position = from;
      for (;;) {
        if (this.ended) return;
        const read = await store.records.read(shardLogName(this.stream, shard), position, {
          limit: TAIL_READ_RECORDS,
          maxBytes: TAIL_READ_BYTES,
          notBefore: retentionHorizon(this.stream, Date.now()),
        });
        position = read.nextIndex;
        const records = await decryptRecords(this.deps.kinesis, read.records);
        const sequences = this.sequences.get(index)!;
        for (const record of records) {
          if (!this.matches(record.partitionKey, record.data)) {
            this.filtered++;
            continue;
          }
          this.seen++;
          if (!this.take()) {
            this.sampled++;
            continue;
          }
          const data = record.data.length > TAIL_DATA_BYTES ? record.data.subarray(0, TAIL_DATA_BYTES) : record.data;
          this.queue.push({
            shardId: formatShardId(index),
            sequenceNumber: sequences.format(record.index, record.arrival),
            arrival: record.arrival,
            partitionKey: record.partitionKey,
            data: data.toString('base64'),
            size: record.data.length,
            truncated: data.length < record.data.length,
          });
        }
        if (this.queue.length > TAIL_BUFFER_RECORDS) {
          this.skipped += this.queue.length - TAIL_BUFFER_RECORDS;
          this.queue = this.queue.slice(this.queue.length - TAIL_BUFFER_RECORDS);
        }
        this.positions.set(index, position);
        this.flush();
        if (read.nextIndex >= read.tipIndex || read.records.length === 0) break;
      }
    }
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(TAIL_RECORDS_PER_SECOND, this.tokens + ((now - this.refilledAt) * TAIL_RECORDS_PER_SECOND) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  private matches(partitionKey: string, data: Buffer): boolean {
    if (this.filter.keyPrefix !== undefined && !partitionKey.startsWith(this.filter.keyPrefix)) return false;
    if (this.filter.contains !== undefined && !this.decoder.decode(data).includes(this.filter.contains)) return false;
    return true;
  }

  /** Sends what is queued unless the connection is still full from the last event. */
  private flush(): void {
    if (this.ended || this.res.writableNeedDrain) return;
    while (this.queue.length > 0 || this.skipped > 0 || this.sampled > 0) {
      const records = this.queue.splice(0, TAIL_EVENT_RECORDS);
      const full = !this.write('records', { records, skipped: this.skipped, sampled: this.sampled, seen: this.seen, filtered: this.filtered });
      this.skipped = 0;
      this.sampled = 0;
      if (full) return;
    }
  }

  private write(event: string, value: unknown): boolean {
    if (this.ended) return false;
    return (this.res as NodeJS.WritableStream).write(`event: ${event}\ndata: ${JSON.stringify(value)}\n\n`);
  }

  private comment(): void {
    if (!this.ended && !this.res.writableNeedDrain) (this.res as NodeJS.WritableStream).write(': keep-alive\n\n');
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    for (const timer of this.timers) clearInterval(timer);
    for (const stop of this.unwatch.values()) stop();
    this.queue = [];
    if (!this.res.writableEnded) this.res.end();
  }
}
