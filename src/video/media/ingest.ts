import { EBML_ID, INFO_ID, TAGS_ID, TRACKS_ID } from '../mkv/ids.js';
import { DEFAULT_TIMECODE_SCALE_NS, simpleTagPairs, timecodeScale, trackNumbers } from '../mkv/header.js';
import { MkvError, MkvReader, type MkvHandler } from '../mkv/reader.js';
import { AckError, type Ack } from './acks.js';
import { encodeFragmentNumber } from './fragment-number.js';
import { MAX_HEADER_BYTES, type FragmentStore, type StreamLogs } from './fragment-store.js';
import { MEDIA_CHUNK_BYTES, MediaBuffer } from './media-buffer.js';
import {
  MAX_FRAGMENT_BYTES, MAX_FRAGMENT_DURATION_MS, MAX_FRAGMENT_METADATA_TAGS, MAX_TRACKS, MAX_UNPERSISTED_BYTES_PER_CONNECTION, MAX_UNPERSISTED_BYTES_PER_NODE,
} from './limits.js';

/**
 * One PutMedia body turned into fragments (VIDEO-SPEC §3.2–§3.4): the MKV is parsed as it
 * streams; one Cluster is one fragment, which ends at the next Cluster, at an end-of-fragment
 * Tags, at the end of a known-size Cluster, or at the end of the body. Its bytes go to the store in
 * chunks while it streams; the fragment record is appended (and PERSISTED acked) only after every
 * chunk and the session's header are durable. Acks go out through `send` in the order AWS sends
 * them: BUFFERING at the Cluster's Timecode, RECEIVED when it closes, PERSISTED when committed.
 */

/** The producer SDK's end-of-fragment marker (PIC Stream.h EOFR_METADATA_NAME). */
export const END_OF_FRAGMENT_TAG = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';

export type TimecodeType = 'ABSOLUTE' | 'RELATIVE';

export interface IngestOptions {
  timecodeType: TimecodeType;
  /** x-amzn-producer-start-timestamp in epoch ms (RELATIVE timecodes count from it). */
  producerStartMs?: number;
  /** PERSISTED acks are sent only when the stream retains data (VIDEO-SPEC §3.4). */
  persistedAcks: boolean;
  /** The sequence number the session's first fragment gets (the fragment log's tip). */
  firstSeq: number;
  now?: () => number;
  /** The node's count of media not yet durable, shared by its PutMedia connections. */
  unpersisted?: { bytes: number };
}

export interface CommittedFragment {
  fn: string;
  size: number;
  serverMs: number;
}

interface OpenFragment {
  seq: number;
  fn: string;
  serverMs: number;
  timecode?: number;
  sizeKnown: boolean;
  firstFrameNs?: number;
  lastFrameNs?: number;
  tracksSeen: Set<number>;
  size: number;
  buffered: MediaBuffer;
  chunkWrites: Array<Promise<[number, number]>>;
  tags: Buffer[];
  metadataTags: number;
}

export class MediaIngest implements MkvHandler {
  private readonly reader = new MkvReader(this);
  private readonly now: () => number;
  private nextSeq: number;
  // The producer session's header: the EBML header and the Segment's children before the first Cluster.
  private ebmlHeader?: Buffer;
  private segmentChildren: Buffer[] = [];
  private headerHash?: Promise<string>;
  private ebmlLength = 0;
  private scaleNs = DEFAULT_TIMECODE_SCALE_NS;
  private tracks?: Set<number>;
  private current?: OpenFragment;
  /** Tags met between fragments, carried into the next one. */
  private pendingTags: Buffer[] = [];
  private pendingMetadataTags = 0;
  private lastClusterTimecode?: number;
  private lastFrameNs?: number;
  private commitChain: Promise<void> = Promise.resolve();
  private persistChain: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private inFlightBytes = 0;
  private failure?: AckError;
  /** Bytes and fragments received (for pacing). */
  bytesReceived = 0;
  fragmentsStarted = 0;
  readonly committed: CommittedFragment[] = [];

  constructor(
    private readonly fragments: FragmentStore,
    private readonly logs: StreamLogs,
    private readonly options: IngestOptions,
    private readonly send: (ack: Ack) => void,
  ) {
    this.now = options.now ?? Date.now;
    this.nextSeq = options.firstSeq;
  }

  /** Parses a piece of the body. Throws AckError on invalid media (the connection then ends). */
  push(chunk: Buffer): void {
    this.throwIfFailed();
    this.bytesReceived += chunk.length;
    try {
      this.reader.push(chunk);
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Resolves when the media not yet durable is back under the per-connection bound (back-pressure). */
  async waitForRoom(): Promise<void> {
    const node = this.options.unpersisted;
    while (this.inFlight.size && (this.inFlightBytes > MAX_UNPERSISTED_BYTES_PER_CONNECTION ||
      (node !== undefined && node.bytes > MAX_UNPERSISTED_BYTES_PER_NODE && this.inFlightBytes > 0))) {
      await Promise.race(this.inFlight);
    }
    this.throwIfFailed();
  }

  /** The body ended: closes the last fragment and waits until every fragment is committed. */
  async finish(): Promise<void> {
    try {
      this.throwIfFailed();
      this.reader.finish();
      this.closeFragment();
    } catch (error) {
      // The fragments closed before the failure are still committed, and their PERSISTED acks go
      // out before the ERROR ack (as on every other error path).
      const failure = this.fail(error);
      await this.settle();
      throw failure;
    }
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for the fragments already closed to be committed (or to fail), whatever happens next. */
  async settle(): Promise<void> {
    await this.commitChain.catch(() => undefined);
    await this.persistChain.catch(() => undefined);
    // The open fragment's chunk writes too (its chunks stay unreferenced, but are written by then).
    await Promise.all(this.inFlight);
  }

  /** A fragment that was open is discarded (its chunks stay unreferenced). */
  get openFragment(): { timecode: number; number: string } | undefined {
    const current = this.current;
    return current?.timecode === undefined ? undefined : { timecode: current.timecode, number: current.fn };
  }

  // MkvHandler

  element(id: number, raw: Buffer, depth: number): void {
    if (depth === 0) {
      if (id !== EBML_ID) return;
      // A new EBML header starts a new producer session header.
      this.closeFragment();
      this.ebmlHeader = raw;
      this.segmentChildren = [];
      this.headerHash = undefined;
      this.tracks = undefined;
      return;
    }
    if (this.headerHash === undefined) {
      if (id === INFO_ID) this.scaleNs = timecodeScale(raw);
      if (id === TRACKS_ID) {
        const numbers = trackNumbers(raw);
        if (numbers.length > MAX_TRACKS) throw new AckError('MORE_THAN_ALLOWED_TRACKS_FOUND', `${numbers.length} tracks`);
        if (numbers.length === 0) throw new AckError('INVALID_MKV_DATA', 'Tracks has no TrackEntry');
        this.tracks = new Set(numbers);
      }
      this.segmentChildren.push(raw);
      return;
    }
    if (id !== TAGS_ID) return;
    // Tags between Clusters: producer fragment metadata, or the end-of-fragment marker.
    const pairs = simpleTagPairs(raw);
    const endOfFragment = pairs.some(([name]) => name === END_OF_FRAGMENT_TAG);
    const metadata = pairs.filter(([name]) => name !== END_OF_FRAGMENT_TAG).length;
    if (metadata > 0) {
      const owner = this.current;
      const count = (owner ? owner.metadataTags : this.pendingMetadataTags) + metadata;
      if (count > MAX_FRAGMENT_METADATA_TAGS) throw new AckError('FRAGMENT_METADATA_LIMIT_REACHED', `${count} metadata tags`, this.openFragment);
      if (owner) {
        owner.tags.push(raw);
        owner.metadataTags = count;
      } else {
        this.pendingTags.push(raw);
        this.pendingMetadataTags = count;
      }
    }
    if (endOfFragment) this.closeFragment();
  }

  segmentStart(): void {
    if (!this.ebmlHeader) throw new AckError('INVALID_MKV_DATA', 'Segment without an EBML header');
  }

  segmentEnd(): void {
    this.closeFragment();
  }

  clusterStart(sizeKnown: boolean): void {
    this.closeFragment();
    if (!this.tracks) throw new AckError('INVALID_MKV_DATA', 'Cluster before Tracks');
    if (this.headerHash === undefined) this.saveHeader();
    const seq = this.nextSeq++;
    const serverMs = this.now();
    this.fragmentsStarted++;
    this.current = {
      seq, fn: encodeFragmentNumber(seq, serverMs), serverMs, sizeKnown, tracksSeen: new Set(), size: 0,
      buffered: new MediaBuffer(), chunkWrites: [], tags: this.pendingTags, metadataTags: this.pendingMetadataTags,
    };
    this.pendingTags = [];
    this.pendingMetadataTags = 0;
  }

  clusterTimecode(value: number): void {
    const current = this.current!;
    if (current.timecode !== undefined) throw new AckError('INVALID_MKV_DATA', 'a Cluster with two Timecodes', this.openFragment);
    current.timecode = value;
    if (this.lastClusterTimecode !== undefined && value < this.lastClusterTimecode) {
      throw new AckError('FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', 'Cluster timecode lower than the previous one', this.openFragment);
    }
    this.send({ EventType: 'BUFFERING', FragmentTimecode: value, FragmentNumber: current.fn });
  }

  block(track: number, relativeTimecode: number, _flags: number): void {
    const current = this.current!;
    if (current.timecode === undefined) throw new AckError('INVALID_MKV_DATA', 'a block before the Cluster Timecode');
    if (!this.tracks!.has(track)) throw new AckError('TRACK_NUMBER_MISMATCH', `block of track ${track}`, this.openFragment);
    const frameNs = (current.timecode + relativeTimecode) * this.scaleNs;
    if (current.firstFrameNs === undefined && this.lastFrameNs !== undefined && frameNs < this.lastFrameNs) {
      throw new AckError('FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', 'fragment starts before the previous one ended', this.openFragment);
    }
    current.firstFrameNs = Math.min(current.firstFrameNs ?? frameNs, frameNs);
    current.lastFrameNs = Math.max(current.lastFrameNs ?? frameNs, frameNs);
    if ((current.lastFrameNs - current.firstFrameNs) / 1e6 > MAX_FRAGMENT_DURATION_MS) {
      throw new AckError('MAX_FRAGMENT_DURATION_REACHED', 'fragment longer than the maximum duration', this.openFragment);
    }
    current.tracksSeen.add(track);
  }

  clusterBytes(raw: Buffer): void {
    const current = this.current!;
    current.size += raw.length;
    if (current.size > MAX_FRAGMENT_BYTES) throw new AckError('MAX_FRAGMENT_SIZE_REACHED', 'fragment larger than the maximum size', this.openFragment);
    current.buffered.push(raw);
    if (current.buffered.bytes >= MEDIA_CHUNK_BYTES) this.writeChunks(current, false);
  }

  clusterEnd(): void {
    // A known-size Cluster ends the fragment where it ends; an unknown-size one stays open for the
    // producer's Tags until the next Cluster, an end-of-fragment tag or the end of the body.
    if (this.current?.sizeKnown) this.closeFragment();
  }

  // Fragments

  private saveHeader(): void {
    const header = Buffer.concat([this.ebmlHeader!, ...this.segmentChildren]);
    if (header.length > MAX_HEADER_BYTES) throw new AckError('INVALID_MKV_DATA', 'MKV header too large');
    this.ebmlLength = this.ebmlHeader!.length;
    this.headerHash = this.track(this.fragments.putHeader(this.logs, header), 0);
  }

  private writeChunks(fragment: OpenFragment, final: boolean): void {
    while (fragment.buffered.bytes >= MEDIA_CHUNK_BYTES || (final && fragment.buffered.bytes > 0)) {
      const records = fragment.buffered.take();
      const bytes = records.reduce((sum, record) => sum + record.length, 0);
      fragment.chunkWrites.push(this.track(this.fragments.appendMedia(this.logs, records), bytes));
    }
  }

  /** Counts a store write as in flight (back-pressure) and keeps its rejection from going unhandled. */
  private track<T>(write: Promise<T>, bytes: number): Promise<T> {
    this.inFlightBytes += bytes;
    const node = this.options.unpersisted;
    if (node) node.bytes += bytes;
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      this.inFlightBytes -= bytes;
      if (node) node.bytes -= bytes;
    });
    return write;
  }

  private closeFragment(): void {
    const fragment = this.current;
    if (!fragment) return;
    this.current = undefined;
    if (fragment.timecode === undefined) throw new AckError('INVALID_MKV_DATA', 'a Cluster without a Timecode');
    const ref = { timecode: fragment.timecode, number: fragment.fn };
    for (const track of this.tracks!) {
      if (!fragment.tracksSeen.has(track)) throw new AckError('FRAMES_MISSING_FOR_TRACK', `no frame of track ${track}`, ref);
    }
    this.writeChunks(fragment, true);
    this.send({ EventType: 'RECEIVED', FragmentTimecode: fragment.timecode, FragmentNumber: fragment.fn });
    this.lastClusterTimecode = fragment.timecode;
    this.lastFrameNs = fragment.lastFrameNs;
    const producerMs = this.producerMs(fragment.timecode);
    const lengthMs = Math.round(((fragment.lastFrameNs ?? 0) - (fragment.firstFrameNs ?? 0)) / 1e6);
    const headerHash = this.headerHash!;
    const ebml = this.ebmlLength;
    const chunkWrites = fragment.chunkWrites;
    // Commits are issued in fragment order (the log assigns indexes in call order) as soon as a
    // fragment's chunks are durable, without waiting for the previous commit to be flushed: the
    // store shares one flush among them. PERSISTED acks follow in order as each resolves.
    this.commitChain = this.commitChain.then(async () => {
      // A fragment closed before a parse error is still committed; after a store failure nothing is.
      if (this.failure?.code === 'ARCHIVAL_ERROR') return;
      let commit: Promise<unknown>;
      try {
        const chunks = mergeRanges(await Promise.all(chunkWrites));
        const header = await headerHash;
        commit = this.fragments.commit(this.logs, {
          fn: fragment.fn, st: fragment.serverMs, pt: producerMs, tc: fragment.timecode!, len: lengthMs, size: fragment.size, chunks, header, ebml,
          tags: fragment.tags.length ? Buffer.concat(fragment.tags).toString('base64') : undefined,
        });
      } catch {
        commit = Promise.reject(new Error('chunks not stored'));
      }
      commit.catch(() => undefined);
      this.persistChain = this.persistChain.then(async () => {
        try {
          await commit;
        } catch {
          this.failure ??= new AckError('ARCHIVAL_ERROR', 'the fragment could not be stored', ref);
          return;
        }
        this.committed.push({ fn: fragment.fn, size: fragment.size, serverMs: fragment.serverMs });
        if (this.options.persistedAcks) this.send({ EventType: 'PERSISTED', FragmentTimecode: fragment.timecode, FragmentNumber: fragment.fn });
      });
    });
  }

  private producerMs(timecode: number): number {
    const ms = (timecode * this.scaleNs) / 1e6;
    return Math.round(this.options.timecodeType === 'RELATIVE' ? (this.options.producerStartMs ?? 0) + ms : ms);
  }

  private fail(error: unknown): AckError {
    if (!(error instanceof AckError)) {
      error = error instanceof MkvError
        ? new AckError('INVALID_MKV_DATA', error.message, this.openFragment)
        : new AckError('INTERNAL_ERROR', error instanceof Error ? error.message : String(error), this.openFragment);
    }
    this.failure ??= error as AckError;
    this.current = undefined;
    return this.failure;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** The failure that ended the ingest, if any. */
  get error(): AckError | undefined {
    return this.failure;
  }
}

/** Adjacent index ranges joined: [[3,3],[4,4],[9,9]] → [[3,4],[9,9]]. */
function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [first, last] of ranges) {
    const previous = out[out.length - 1];
    if (previous && previous[1] + 1 === first) previous[1] = last;
    else out.push([first, last]);
  }
  return out;
}
