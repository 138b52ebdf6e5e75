/**
 * Buffering (FIREHOSE-SPEC §7): records wait in a buffer until its size hint (measured before
 * compression) or its interval (counted from the oldest buffered record's arrival) is reached,
 * whichever comes first; IntervalInSeconds 0 is zero buffering. The buffers hold only what the
 * hints allow: the backlog stays in the ingest log, which is read only as buffers have room.
 */

export const MIB = 1024 * 1024;

/** §7 defaults for S3 / ExtendedS3 / S3 backup (used when a description lacks hints). */
export const DEFAULT_S3_BUFFER_SIZE_MB = 5;
export const DEFAULT_S3_BUFFER_INTERVAL_SECONDS = 300;

export interface BufferingHints {
  sizeBytes: number;
  intervalMs: number;
}

/** The description's `BufferingHints` member (defaults filled by the control plane; §7 defaults otherwise). */
export function bufferingHintsOf(description: Record<string, unknown> | undefined, defaults = { sizeMB: DEFAULT_S3_BUFFER_SIZE_MB, intervalSeconds: DEFAULT_S3_BUFFER_INTERVAL_SECONDS }): BufferingHints {
  const hints = (description?.BufferingHints ?? {}) as { SizeInMBs?: number; IntervalInSeconds?: number };
  const sizeMB = typeof hints.SizeInMBs === 'number' ? hints.SizeInMBs : defaults.sizeMB;
  const intervalSeconds = typeof hints.IntervalInSeconds === 'number' ? hints.IntervalInSeconds : defaults.intervalSeconds;
  return { sizeBytes: sizeMB * MIB, intervalMs: intervalSeconds * 1000 };
}

/** One buffered record: `index` is its ingest-log index (what the checkpoint is made of). */
export interface BufferedRecord<T> {
  index: number;
  arrival: number;
  bytes: number;
  item: T;
}

/** Records waiting for one object (one partition, the backup, or one error output type). */
export class RecordBuffer<T> {
  /** Records go in through `add` and out through `take` only: the minimums below follow them. */
  readonly items: BufferedRecord<T>[] = [];
  bytes = 0;
  // Kept as records are added rather than scanned for: the engine asks at every turn of its loop,
  // and a buffer of small records holds tens of thousands of them.
  private oldest = Infinity;
  private min = Infinity;

  constructor(
    readonly key: string,
    readonly hints: BufferingHints,
  ) {}

  add(record: BufferedRecord<T>): void {
    this.items.push(record);
    this.bytes += record.bytes;
    if (record.arrival < this.oldest) this.oldest = record.arrival;
    if (record.index < this.min) this.min = record.index;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Arrival of the oldest record (arrivals only grow along the log, but processing may reorder). */
  get oldestArrival(): number {
    return this.oldest;
  }

  get minIndex(): number {
    return this.min;
  }

  /** When the interval runs out (epoch ms), Infinity when empty. */
  get dueAt(): number {
    return this.empty ? Infinity : this.oldestArrival + this.hints.intervalMs;
  }

  isDue(now: number): boolean {
    return !this.empty && (this.bytes >= this.hints.sizeBytes || now >= this.dueAt);
  }

  /** Takes everything out (the caller delivers it, then the buffer is dropped or reused). */
  take(): BufferedRecord<T>[] {
    const taken = this.items.splice(0);
    this.bytes = 0;
    this.oldest = Infinity;
    this.min = Infinity;
    return taken;
  }
}

/** A set of buffers by key: one per dynamic partition (at most `maxKeys`), or just one. */
export class BufferSet<T> {
  readonly buffers = new Map<string, RecordBuffer<T>>();

  constructor(
    readonly hints: BufferingHints,
    readonly maxKeys = Infinity,
  ) {}

  /** The buffer for `key`; undefined when a new one would exceed `maxKeys`. */
  get(key: string): RecordBuffer<T> | undefined {
    let buffer = this.buffers.get(key);
    if (!buffer) {
      if (this.buffers.size >= this.maxKeys) return undefined;
      this.buffers.set(key, (buffer = new RecordBuffer<T>(key, this.hints)));
    }
    return buffer;
  }

  get bytes(): number {
    let total = 0;
    for (const buffer of this.buffers.values()) total += buffer.bytes;
    return total;
  }

  get minIndex(): number {
    let min = Infinity;
    for (const buffer of this.buffers.values()) min = Math.min(min, buffer.minIndex);
    return min;
  }

  get oldestArrival(): number {
    let oldest = Infinity;
    for (const buffer of this.buffers.values()) oldest = Math.min(oldest, buffer.oldestArrival);
    return oldest;
  }

  get dueAt(): number {
    let due = Infinity;
    for (const buffer of this.buffers.values()) due = Math.min(due, buffer.dueAt);
    return due;
  }

  due(now: number, all = false): RecordBuffer<T>[] {
    return [...this.buffers.values()].filter((buffer) => (all ? !buffer.empty : buffer.isDue(now)));
  }

  /** Partitions stay active while they hold records; an emptied one no longer counts. */
  release(buffer: RecordBuffer<T>): void {
    if (buffer.empty) this.buffers.delete(buffer.key);
  }

  clear(): void {
    this.buffers.clear();
  }
}
