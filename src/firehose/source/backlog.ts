import type { Logger } from 'pino';
import type { ProgressRecord } from '../../leases/progress.js';
import type { Store } from '../../store/store.js';
import { bufferingHintsOf, MIB } from '../delivery/buffers.js';
import { ingestLogName, progressKey, type DeliveryStreamDocument } from '../domain/delivery-stream.js';

/**
 * Back-pressure of the Kinesis source (issue 14, "memory bounded by the buffers configured, not by
 * the backlog"): a KinesisStreamAsSource stream's backlog belongs in the Kinesis stream, which keeps
 * it for its retention, not in the delivery stream's ingest log. So the source reads only while the
 * ingest log holds less than `maxBacklogBytes` that delivery has not yet checkpointed past; while
 * the destination is down or slow, it waits (AWS's reader falls behind the same way, which
 * KinesisMillisBehindLatest shows). What delivery holds — its buffers, the object in flight, one
 * read — is allowed for first, so the limit never holds delivery up.
 */

/** How far beyond what delivery holds the source may read ahead. A Millrace bound, not an AWS one. */
export const SOURCE_READ_AHEAD_BYTES = 32 * MIB;
/**
 * The delivery engine reads its log in reads of up to 8 MiB whatever the buffer size
 * (delivery/engine.ts READ_MAX_BYTES; not imported: the engine imports the source).
 */
export const ENGINE_READ_BYTES = 8 * MIB;
/** While over the limit, the source looks at delivery's progress this often. */
export const BACKLOG_POLL_MS = 1_000;

/** The destination descriptions in the order the engine picks the one it delivers to. */
const DESTINATIONS = [
  'ExtendedS3DestinationDescription',
  'HttpEndpointDestinationDescription',
  'AmazonopensearchserviceDestinationDescription',
  'ElasticsearchDestinationDescription',
  'AmazonOpenSearchServerlessDestinationDescription',
  'SplunkDestinationDescription',
  'S3DestinationDescription',
] as const;

type Json = Record<string, unknown>;

/**
 * The most ingested bytes (data and stored metadata) the source lets delivery lag behind: twice what
 * the engine may hold unacknowledged — its buffers (the destination's SizeInMBs, at least one read)
 * and the S3 backup's, then as much again in flight — plus SOURCE_READ_AHEAD_BYTES.
 */
export function maxBacklogBytes(stream: DeliveryStreamDocument): number {
  const destination = stream.destination as Json;
  const kind = DESTINATIONS.find((member) => destination[member] !== undefined);
  const description = kind ? (destination[kind] as Json) : undefined;
  const main = bufferingHintsOf(description).sizeBytes;
  const backupDescription = (kind === 'ExtendedS3DestinationDescription' ? description?.S3BackupDescription : description?.S3DestinationDescription) as Json | undefined;
  const backup = backupDescription && kind !== 'S3DestinationDescription' ? bufferingHintsOf(backupDescription).sizeBytes : 0;
  return 2 * (Math.max(main, ENGINE_READ_BYTES) + backup) + SOURCE_READ_AHEAD_BYTES;
}

/**
 * What the source has appended to the ingest log that delivery's checkpoint has not passed, in
 * bytes, with room handed out to shard readers before they read (so several readers together stay
 * within the limit, give or take one record each).
 */
export class IngestBacklog {
  /** Appends not yet delivered: the ingest index after each, and its bytes. */
  private appends: Array<{ end: number; bytes: number }> = [];
  private delivered = 0;
  private reserved = 0;
  private refreshing?: Promise<void>;
  private pausedAt?: number;

  constructor(
    private readonly store: Store,
    private readonly stream: DeliveryStreamDocument,
    readonly limitBytes: number,
    private readonly log: Logger,
  ) {}

  /** Bytes appended and not delivered (as last seen). */
  get bytes(): number {
    let total = 0;
    for (const append of this.appends) total += append.bytes;
    return total;
  }

  /**
   * Counts what earlier terms appended and delivery has not yet passed, a read at a time. Past the
   * limit it stops counting: the rest counts as the whole limit until delivery has passed it (a log
   * filled before there was a limit is not read through just to be measured).
   */
  async start(readBytes: number, signal: AbortSignal): Promise<void> {
    await this.refresh();
    const log = ingestLogName(this.stream);
    const tip = await this.store.records.tip(log);
    let counted = 0;
    for (let index = this.delivered; index < tip && !signal.aborted; ) {
      if (counted >= this.limitBytes) {
        this.appends.push({ end: tip, bytes: this.limitBytes });
        return;
      }
      const read = await this.store.records.read(log, index, { limit: 10_000, maxBytes: readBytes, notBefore: 0 });
      if (read.records.length === 0) break;
      let bytes = 0;
      for (const record of read.records) bytes += record.data.length + record.partitionKey.length;
      this.appends.push({ end: read.nextIndex, bytes });
      counted += bytes;
      index = read.nextIndex;
    }
  }

  /** An append of records up to ingest index `end` (exclusive) holding `bytes`. */
  appended(end: number, bytes: number): void {
    this.appends.push({ end, bytes });
  }

  /**
   * Waits until there is room for a read of at least `min(readBytes, limit / 2)` bytes, and hands
   * out up to `readBytes` of it; 0 once `signal` aborts. Give it back with `release` after the read
   * was appended (and counted by `appended`) or given up.
   */
  async reserve(readBytes: number, signal: AbortSignal, pause: (ms: number) => Promise<void>): Promise<number> {
    const wanted = Math.min(readBytes, Math.floor(this.limitBytes / 2));
    for (;;) {
      if (signal.aborted) return 0;
      let room = this.limitBytes - this.bytes - this.reserved;
      if (room < wanted) {
        await this.refresh();
        room = this.limitBytes - this.bytes - this.reserved;
      }
      if (room >= wanted) {
        if (this.pausedAt !== undefined) {
          this.log.debug({ deliveryStream: this.stream.name, pausedMs: Date.now() - this.pausedAt }, 'Kinesis source reads again: delivery caught up');
          this.pausedAt = undefined;
        }
        const granted = Math.min(readBytes, room);
        this.reserved += granted;
        return granted;
      }
      if (this.pausedAt === undefined) {
        this.pausedAt = Date.now();
        this.log.debug({ deliveryStream: this.stream.name, backlogBytes: this.bytes, limitBytes: this.limitBytes }, 'Kinesis source waits: delivery is behind');
      }
      await pause(BACKLOG_POLL_MS);
    }
  }

  release(granted: number): void {
    this.reserved -= granted;
  }

  /** Reads delivery's checkpoint (one read for every reader waiting at once) and forgets what it passed. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const entry = await this.store.meta.get<ProgressRecord<{ index: number }>>(progressKey(this.stream, 'delivered'));
        this.delivered = Math.max(this.delivered, entry?.value.value.index ?? 0);
        this.appends = this.appends.filter((append) => append.end > this.delivered);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
