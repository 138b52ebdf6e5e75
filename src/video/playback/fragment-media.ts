import { decodeFragmentNumber } from '../media/fragment-number.js';
import { FragmentGoneError } from '../media/media-output.js';
import type { FragmentStore, StoredFragment, StreamLogs } from '../media/fragment-store.js';
import { playbackTracks, type PlaybackTrack } from './codecs.js';
import { readUint, vintLength } from '../mkv/reader.js';
import { FragmentCache, MAX_CACHED_FRAGMENT_BYTES } from './fragment-cache.js';
import { ChunkedBytes, parseClusterFrames, parseHeader, type Frame } from './matroska.js';
import { initSegment, mdatHeader, movieFragment } from './mp4.js';
import { tsSegment } from './mpegts.js';
import { trackRun, type TrackRun } from './timing.js';

/**
 * Stored fragments as playback media: tracks from the session header (cached per header hash,
 * headers are immutable), frames from the fragment's Cluster bytes, and the packaged fMP4 and
 * MPEG-TS segments. The playback URLs take a fragment's frames from a bounded cache of parsed
 * fragments (fragment-cache.ts) once its record has been found in the store; boxes and timing are
 * made per request (the last frame's duration depends on whether the next fragment is there yet).
 */

export interface FragmentTracks {
  timecodeScaleNs: number;
  tracks: PlaybackTrack[];
}

/** Fragment records read per step when looking one up by number. */
const FIND_BATCH = 4;

/** Parsed headers kept per node (bounded; they are small and immutable). */
const MAX_CACHED_HEADERS = 1000;

export class PlaybackMedia {
  private readonly headers = new Map<string, FragmentTracks | Error>();
  private readonly parsed: FragmentCache;

  constructor(readonly fragments: FragmentStore, cacheBytes = MAX_CACHED_FRAGMENT_BYTES) {
    this.parsed = new FragmentCache(cacheBytes);
    // A stream deleted through this node frees its entries at once (other nodes' age out; keys never collide).
    fragments.onDrop((logs) => this.parsed.forget(cacheKey(logs, '')));
  }

  /** Bytes of parsed fragments held now. */
  get cachedBytes(): number {
    return this.parsed.bytes;
  }

  /** The tracks of the fragment's session header; throws the codec errors of codecs.ts. */
  async tracks(logs: StreamLogs, fragment: StoredFragment): Promise<FragmentTracks> {
    const tracks = await this.headerTracks(logs, fragment.header);
    if (!tracks) throw new FragmentGoneError(fragment.fn);
    return tracks;
  }

  /** The tracks of a session header by its hash; undefined when the header is gone. */
  async headerTracks(logs: StreamLogs, hash: string): Promise<FragmentTracks | undefined> {
    const key = logs.headers + hash;
    let parsed = this.headers.get(key);
    if (!parsed) {
      const header = await this.fragments.header(logs, hash);
      if (!header) return undefined;
      try {
        const info = parseHeader(header, elementLength(header));
        parsed = { timecodeScaleNs: info.timecodeScaleNs, tracks: playbackTracks(info.tracks) };
      } catch (error) {
        parsed = error as Error;
      }
      if (this.headers.size >= MAX_CACHED_HEADERS) this.headers.delete(this.headers.keys().next().value!);
      this.headers.set(key, parsed);
    }
    if (parsed instanceof Error) throw parsed;
    return parsed;
  }

  /** The hash of the stream's header whose SequenceNumber (hls.ts headerSequenceNumber) is `sequence`. */
  async headerBySequence(logs: StreamLogs, sequence: string, sequenceOf: (hash: string) => string): Promise<string | undefined> {
    for (const entry of await this.fragments.store.meta.list(logs.headers)) {
      const hash = entry.key.slice(logs.headers.length);
      if (sequenceOf(hash) === sequence) return hash;
    }
    return undefined;
  }

  /** The fragment's Cluster bytes as stored, chunk by chunk (fragments are read one at a time; ≤ 50 MB by the ingest's limit). */
  async clusterBytes(logs: StreamLogs, fragment: StoredFragment): Promise<ChunkedBytes> {
    const parts: Buffer[] = [];
    const media = this.fragments.media(logs, fragment);
    for (;;) {
      const next = await media.next();
      if (next.done) {
        if (next.value === false) throw new FragmentGoneError(fragment.fn);
        break;
      }
      parts.push(next.value);
    }
    return new ChunkedBytes(parts);
  }

  /** The fragment's frames; `cached` takes them from (and keeps them in) the parsed-fragment cache. */
  async frames(logs: StreamLogs, fragment: StoredFragment, timecodeScaleNs: number, cached = false): Promise<Frame[]> {
    const load = async () => parseClusterFrames(await this.clusterBytes(logs, fragment), timecodeScaleNs);
    return cached ? this.parsed.frames(cacheKey(logs, fragment.fn), load) : load();
  }

  /**
   * A fragment by number: its embedded server time says where its record is (commit ≥ server
   * time), and it is among the first few there (read in small batches, not GetMedia's 500).
   */
  async find(logs: StreamLogs, number: string, horizon: number): Promise<StoredFragment | undefined> {
    const parts = decodeFragmentNumber(number);
    if (!parts) return undefined;
    // The ingest numbers fragments from the log's tip, so the embedded seq is usually the record's index.
    const guess = (await this.fragments.readFragments(logs, parts.seq, horizon, 1)).fragments[0];
    if (guess?.fn === number) return guess;
    let index = await this.fragments.indexAtTime(logs, parts.serverMs);
    for (;;) {
      const { fragments, nextIndex } = await this.fragments.readFragments(logs, index, horizon, FIND_BATCH);
      for (const fragment of fragments) {
        if (fragment.fn === number) return fragment;
        if (fragment.st > parts.serverMs) return undefined;
      }
      if (fragments.length === 0 || nextIndex === index) return undefined;
      index = nextIndex;
    }
  }

  /** The fragment after this one in the log (for the last frame's duration), if it is there already. */
  async next(logs: StreamLogs, fragment: StoredFragment, horizon: number): Promise<StoredFragment | undefined> {
    const { fragments } = await this.fragments.readFragments(logs, fragment.index + 1, horizon, 1);
    return fragments[0];
  }

  /**
   * Each track's timed samples for one fragment. `cached`: the frames come through the parsed-
   * fragment cache (the playback URLs, which serve the same few fragments over and over; GetClip
   * reads each fragment of its range once and would only evict them).
   */
  async runs(logs: StreamLogs, fragment: StoredFragment, horizon: number, following?: StoredFragment, cached = false): Promise<{ tracks: PlaybackTrack[]; runs: TrackRun[] }> {
    const { tracks, timecodeScaleNs } = await this.tracks(logs, fragment);
    const [frames, next] = await Promise.all([this.frames(logs, fragment, timecodeScaleNs, cached), following ?? this.next(logs, fragment, horizon)]);
    return { tracks, runs: tracks.map((track) => trackRun(track, frames, fragment.pt, next?.pt)) };
  }

  async initSegment(logs: StreamLogs, headerHash: string, trackNumber: number): Promise<Buffer | undefined> {
    const track = (await this.headerTracks(logs, headerHash))?.tracks[trackNumber - 1];
    return track && initSegment(track, trackNumber);
  }

  /** One track of one fragment as moof + mdat, as the pieces to write (no payload is copied). */
  async mediaSegment(logs: StreamLogs, fragment: StoredFragment, trackNumber: number, horizon: number): Promise<Buffer[] | undefined> {
    const { runs } = await this.runs(logs, fragment, horizon, undefined, true);
    const run = runs[trackNumber - 1];
    if (!run) return undefined;
    const samples = run.samples.map((s) => ({ duration: s.duration, size: s.data.length, compositionOffset: s.pts - s.dts, sync: s.sync }));
    const moof = movieFragment(trackNumber, fragment.index + 1, run.samples[0]?.dts ?? Math.round((fragment.pt * run.timescale) / 1000), samples);
    return [moof, mdatHeader(run.bytes), ...run.samples.map((s) => s.data)];
  }

  async tsSegment(logs: StreamLogs, fragment: StoredFragment, horizon: number): Promise<Buffer> {
    const { tracks, runs } = await this.runs(logs, fragment, horizon, undefined, true);
    return tsSegment(tracks, runs);
  }
}

/** Cache keys: the stream incarnation's media log, then the fragment number. */
const cacheKey = (logs: StreamLogs, fn: string) => `${logs.media}#${fn}`;

/** Length of the first whole element of a buffer (the EBML header at the start of a stored header). */
function elementLength(buffer: Buffer): number {
  const idLength = vintLength(buffer[0]);
  const sizeLength = vintLength(buffer[idLength]);
  const size = readUint(buffer, idLength, sizeLength) - (0x80 >> (sizeLength - 1)) * 256 ** (sizeLength - 1);
  return idLength + sizeLength + size;
}
