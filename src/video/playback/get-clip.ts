import { Readable } from 'node:stream';
import type { VideoRequestContext } from '../context.js';
import { noDataRetention } from '../errors.js';
import { FragmentGoneError } from '../media/media-output.js';
import type { StoredFragment, StreamLogs } from '../media/fragment-store.js';
import { clientLimitExceeded, invalidArgument, mediaError, noFragments, RANGE_TOO_LONG, START_AFTER_END } from './errors.js';
import { ftyp, mdatHeader, movieBox, type SampleTables } from './mp4.js';
import type { PlaybackRuntime } from './runtime.js';
import { fragmentsInRange } from './selection.js';
import { MAX_RANGE_MS } from './session-request.js';
import type { SelectorType } from './session-token.js';
import type { TrackRun } from './timing.js';

/**
 * GetClip (VIDEO-SPEC §5.3): one non-fragmented MP4 (ftyp, moov, mdat) of the fragments starting
 * in the range, up to the first 200 fragments or 100 MB of media. The media is read twice — once
 * for the sample tables, once for the payloads — so a clip never sits in memory whole.
 */

/** §1 fact 15: a clip covers at most 200 fragments… */
export const CLIP_MAX_FRAGMENTS = 200;
/** …and at most 100 MB of media. */
export const CLIP_MAX_BYTES = 100 * 1000 * 1000;
/** §5.3: AWS's Content-Type per moto (UNVERIFIED). */
export const CLIP_CONTENT_TYPE = 'video/mp4';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ClipFragmentSelector: { FragmentSelectorType: SelectorType; TimestampRange: { StartTimestamp: Date; EndTimestamp: Date } };
}

export async function getClip(runtime: PlaybackRuntime, input: Input, context: VideoRequestContext) {
  const start = input.ClipFragmentSelector.TimestampRange.StartTimestamp.getTime();
  const end = input.ClipFragmentSelector.TimestampRange.EndTimestamp.getTime();
  if (start >= end) throw invalidArgument(START_AFTER_END);
  if (end - start > MAX_RANGE_MS) throw invalidArgument(RANGE_TOO_LONG);
  const found = await context.video.streams.find(context.account, context.region, input);
  const { stream, logs, horizon } = await runtime.stream(context.account, context.region, found.StreamARN);
  if (stream.DataRetentionInHours === 0) throw noDataRetention();
  const session = { selector: input.ClipFragmentSelector.FragmentSelectorType };
  let list = await fragmentsInRange(runtime.media.fragments, logs, session, start, end, horizon, CLIP_MAX_FRAGMENTS);
  if (list.length === 0) throw noFragments();
  let bytes = 0;
  const kept = list.findIndex((f) => (bytes += f.size) > CLIP_MAX_BYTES);
  if (kept > 0) list = list.slice(0, kept);
  // One media point per fragment in the clip (--enforce-limits; §1 fact 15).
  if (!runtime.spend(stream.StreamARN, 'media', list.length)) throw clientLimitExceeded();
  const tracks = await runtime.sessionTracks(logs, list);

  // Pass 1: sample tables.
  const tables: SampleTables[] = tracks.map(() => ({ durations: [], sizes: [], offsets: [], sync: [], chunks: [] }));
  let mdatBytes = 0;
  let durationMs = 0;
  const layout: number[][] = [];
  for (const [k, fragment] of list.entries()) {
    const runs = await fragmentRuns(runtime, logs, fragment, list[k + 1], horizon);
    layout.push(runs.map((run) => run.bytes));
    runs.forEach((run, t) => {
      const table = tables[t];
      if (run.samples.length === 0) return;
      table.chunks.push({ samples: run.samples.length, offset: mdatBytes });
      for (const s of run.samples) {
        table.durations.push(s.duration);
        table.sizes.push(s.data.length);
        table.offsets.push(s.pts - s.dts);
        table.sync.push(s.sync);
      }
      mdatBytes += run.bytes;
    });
  }
  tables.forEach((table, t) => {
    const timescale = tracks[t].config.kind === 'aac' ? (tracks[t].config as { sampleRate: number }).sampleRate : 90_000;
    durationMs = Math.max(durationMs, (table.durations.reduce((a, b) => a + b, 0) * 1000) / timescale);
  });
  const head = ftyp(false);
  const moovSize = movieBox(tracks, tables, durationMs).length;
  const base = head.length + moovSize + 8;
  for (const table of tables) for (const chunk of table.chunks) chunk.offset += base;
  const moov = movieBox(tracks, tables, durationMs);

  // Pass 2: the payloads, in the order pass 1 laid them out.
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.concat([head, moov, mdatHeader(mdatBytes)]);
    for (const [k, fragment] of list.entries()) {
      const runs = await fragmentRuns(runtime, logs, fragment, list[k + 1], horizon);
      // The fragment changed under us (trimmed and rewritten is impossible; gone is not): stop rather than lie.
      if (runs.some((run, t) => run.bytes !== layout[k][t])) throw new FragmentGoneError(fragment.fn);
      for (const run of runs) for (const s of run.samples) yield s.data;
    }
  }
  return { ContentType: CLIP_CONTENT_TYPE, Payload: Readable.from(body(), { objectMode: false }) };
}

/** A fragment's track runs, the last frame's duration reaching the next listed fragment. */
async function fragmentRuns(runtime: PlaybackRuntime, logs: StreamLogs, fragment: StoredFragment, next: StoredFragment | undefined, horizon: number): Promise<TrackRun[]> {
  try {
    const { runs } = await runtime.media.runs(logs, fragment, horizon, next);
    return runs;
  } catch (error) {
    throw mediaError(error);
  }
}
