import { createHash } from 'node:crypto';
import type { Store, StoredRecord } from '../../store/store.js';
import { MEDIA_CHUNK_BYTES } from './media-buffer.js';
import { ProducerTimes } from './producer-times.js';

/**
 * Fragments in the store (VIDEO-SPEC §9.3). Each stream incarnation (its StreamARN, which carries
 * the creation time) has two record logs:
 * - `…/media`: the fragments' Cluster bytes in appends of at most MEDIA_CHUNK_BYTES
 *   (records of at most MEDIA_RECORD_BYTES, media-buffer.ts) while the fragment streams in, so
 *   neither a write nor a read ever holds a 50 MB fragment;
 * - `…/fragments`: one small JSON record per fragment, appended only after all its chunks are
 *   durable: a fragment exists (is listed and served) exactly when this record does, so a crash
 *   mid-fragment leaves unreferenced chunks and never a half fragment. Its arrival is the commit
 *   time, which is ≥ the server timestamp, so `indexAtTime` bounds every server-time lookup.
 * The MKV header (EBML header + Segment children before the first Cluster) is kept once per
 * producer session under a metadata key named by its hash; retention never trims it away from
 * fragments that still need it.
 */

/** Largest MKV header kept (real ones are about 1 KB; a metadata value must stay small). */
export const MAX_HEADER_BYTES = 256 * 1024;

export interface FragmentRecord {
  /** Fragment number (47 digits). */
  fn: string;
  /** Server timestamp (epoch ms): when the first byte of the fragment arrived. */
  st: number;
  /** Producer timestamp (epoch ms). */
  pt: number;
  /** The raw Cluster Timecode as the producer sent it. */
  tc: number;
  /** FragmentLengthInMilliseconds: last frame − first frame. */
  len: number;
  /** Bytes of the Cluster's children. */
  size: number;
  /** Index ranges [first, last] of the media chunks, in order. */
  chunks: Array<[number, number]>;
  /** Hash naming the session's MKV header, and the length of its EBML header part. */
  header: string;
  ebml: number;
  /** Producer Tags elements that belong to the fragment (raw, base64), replayed after the Cluster. */
  tags?: string;
}

export interface StoredFragment extends FragmentRecord {
  index: number;
  /** Commit time (the log's arrival). */
  committed: number;
}

export interface StreamLogs {
  media: string;
  fragments: string;
  /** Metadata key prefix of this incarnation's headers. */
  headers: string;
}

/** The logs of one stream incarnation, named by a hash of its ARN (log names stay short and NATS-safe). */
export function streamLogs(streamArn: string): StreamLogs {
  const id = createHash('sha256').update(streamArn).digest('hex').slice(0, 32);
  return { media: `video/${id}/media`, fragments: `video/${id}/fragments`, headers: `video-media/headers/${id}/` };
}

/** Stream incarnations whose producer-time index a node keeps (least recently used go first; each costs ~32 bytes a fragment). */
export const MAX_PRODUCER_TIME_INDEXES = 256;
/** Reads of fragment records are batched by this many (each is a few hundred bytes). */
const FRAGMENT_READ_BATCH = 500;
/** A media read brings at most this many bytes at once. */
const MEDIA_READ_BYTES = 4 * MEDIA_CHUNK_BYTES;

export class FragmentStore {
  /** Headers are immutable (named by their hash), so any node may cache them. */
  private readonly headerCache = new Map<string, Buffer>();
  /** Producer-time indexes by fragment log, most recently used last (producer-times.ts). */
  private readonly producerTimeIndexes = new Map<string, ProducerTimes>();
  /** Told when this node drops a stream incarnation (caches of its media let go of it). */
  private readonly dropListeners: Array<(logs: StreamLogs) => void> = [];

  constructor(readonly store: Store) {}

  onDrop(listener: (logs: StreamLogs) => void): void {
    this.dropListeners.push(listener);
  }

  /** Appends media records (one store append); resolves with their index range once durable. */
  async appendMedia(logs: StreamLogs, records: Buffer[]): Promise<[number, number]> {
    const stored = await this.store.records.append(logs.media, records.map((data) => ({ partitionKey: 'm', data })));
    return [stored[0].index, stored[stored.length - 1].index];
  }

  /** Stores a session's MKV header (idempotent); resolves with its hash once durable. */
  async putHeader(logs: StreamLogs, header: Buffer): Promise<string> {
    const hash = createHash('sha256').update(header).digest('hex').slice(0, 32);
    const key = logs.headers + hash;
    if (this.headerCache.has(key)) return hash;
    const existing = await this.store.meta.get<string>(key);
    if (!existing) await this.store.meta.put(key, header.toString('base64'), 0);
    this.headerCache.set(key, header);
    return hash;
  }

  async header(logs: StreamLogs, hash: string): Promise<Buffer | undefined> {
    const key = logs.headers + hash;
    const cached = this.headerCache.get(key);
    if (cached) return cached;
    const entry = await this.store.meta.get<string>(key);
    if (!entry) return undefined;
    const header = Buffer.from(entry.value, 'base64');
    this.headerCache.set(key, header);
    return header;
  }

  /** Makes a fragment visible; resolves once durable. */
  async commit(logs: StreamLogs, fragment: FragmentRecord): Promise<StoredFragment> {
    const [stored] = await this.store.records.append(logs.fragments, [{ partitionKey: fragment.fn, data: Buffer.from(JSON.stringify(fragment)) }]);
    return { ...fragment, index: stored.index, committed: stored.arrival };
  }

  /** Fragments from `fromIndex` on (at most `limit`), skipping those past `notBefore` (retention). */
  async readFragments(logs: StreamLogs, fromIndex: number, notBefore: number, limit = FRAGMENT_READ_BATCH): Promise<{ fragments: StoredFragment[]; nextIndex: number; tip: number }> {
    const result = await this.store.records.read(logs.fragments, fromIndex, { limit, maxBytes: 8 * 1024 * 1024, notBefore });
    return { fragments: result.records.map(toFragment), nextIndex: result.nextIndex, tip: result.tipIndex };
  }

  /** Every fragment from `fromIndex` on, in order, batch by batch. */
  async *scan(logs: StreamLogs, fromIndex: number, notBefore: number): AsyncGenerator<StoredFragment> {
    let index = fromIndex;
    for (;;) {
      const { fragments, nextIndex } = await this.readFragments(logs, index, notBefore);
      yield* fragments;
      if (fragments.length === 0 || nextIndex === index) return;
      index = nextIndex;
    }
  }

  /** The incarnation's producer-time index, brought up to the log's durable end and to retention (`horizon`). */
  async producerTimes(logs: StreamLogs, horizon: number): Promise<ProducerTimes> {
    let times = this.producerTimeIndexes.get(logs.fragments);
    if (times) this.producerTimeIndexes.delete(logs.fragments);
    else {
      times = new ProducerTimes();
      while (this.producerTimeIndexes.size >= MAX_PRODUCER_TIME_INDEXES) this.producerTimeIndexes.delete(this.producerTimeIndexes.keys().next().value!);
    }
    this.producerTimeIndexes.set(logs.fragments, times);
    for (;;) {
      const from = times.next;
      const { fragments, nextIndex } = await this.readFragments(logs, from, horizon);
      if (times.next !== from) continue; // extended meanwhile by a concurrent caller
      times.extend(fragments, nextIndex);
      if (fragments.length === 0 || nextIndex === from) break;
    }
    times.dropBefore(horizon);
    return times;
  }

  /** The fragments at the given log indices (ascending), read in stretches of consecutive ones; trimmed ones left out. */
  async fragmentsAt(logs: StreamLogs, indices: readonly number[], horizon: number): Promise<StoredFragment[]> {
    const out: StoredFragment[] = [];
    for (let i = 0; i < indices.length; ) {
      let j = i + 1;
      while (j < indices.length && indices[j] === indices[j - 1]! + 1 && j - i < FRAGMENT_READ_BATCH) j++;
      const wanted = new Set(indices.slice(i, j));
      const { fragments } = await this.readFragments(logs, indices[i]!, horizon, j - i);
      for (const fragment of fragments) if (wanted.has(fragment.index)) out.push(fragment);
      i = j;
    }
    return out;
  }

  tip(logs: StreamLogs): Promise<number> {
    return this.store.records.tip(logs.fragments);
  }

  indexAtTime(logs: StreamLogs, time: number): Promise<number> {
    return this.store.records.indexAtTime(logs.fragments, time);
  }

  watch(logs: StreamLogs, listener: () => void): () => void {
    return this.store.records.watch(logs.fragments, listener);
  }

  /**
   * The fragment's media chunks in order; undefined as soon as one is missing (trimmed or dropped
   * meanwhile), so a reader can say so instead of sending a cut fragment.
   */
  async *media(logs: StreamLogs, fragment: FragmentRecord): AsyncGenerator<Buffer, boolean> {
    for (const [first, last] of fragment.chunks) {
      let index = first;
      while (index <= last) {
        const { records } = await this.store.records.read(logs.media, index, { limit: last - index + 1, maxBytes: MEDIA_READ_BYTES, notBefore: 0 });
        if (records.length === 0 || records[0].index !== index) return false;
        for (const record of records) {
          if (record.index !== index || index > last) return false;
          yield record.data;
          index++;
        }
      }
    }
    return true;
  }

  /**
   * Retention: drops fragments committed before `horizon`, then the media chunks no remaining
   * fragment refers to (everything that arrived before the first remaining fragment's first chunk).
   */
  async trim(logs: StreamLogs, horizon: number): Promise<void> {
    await this.store.records.trim(logs.fragments, horizon);
    const { fragments } = await this.readFragments(logs, 0, horizon, 1);
    const first = fragments[0]?.chunks[0]?.[0];
    if (first === undefined) {
      if (fragments.length === 0) await this.store.records.trim(logs.media, horizon);
      return;
    }
    const { records } = await this.store.records.read(logs.media, first, { limit: 1, maxBytes: 1, notBefore: 0 });
    if (records[0]) await this.store.records.trim(logs.media, records[0].arrival);
  }

  /** Deletes everything of a stream incarnation (DeleteStream). */
  async drop(logs: StreamLogs): Promise<void> {
    await this.store.records.drop(logs.fragments);
    await this.store.records.drop(logs.media);
    for (const entry of await this.store.meta.list(logs.headers)) await this.store.meta.delete(entry.key, entry.revision);
    for (const key of [...this.headerCache.keys()]) if (key.startsWith(logs.headers)) this.headerCache.delete(key);
    this.producerTimeIndexes.delete(logs.fragments);
    for (const listener of this.dropListeners) listener(logs);
  }
}

function toFragment(record: StoredRecord): StoredFragment {
  return { ...(JSON.parse(record.data.toString()) as FragmentRecord), index: record.index, committed: record.arrival };
}
