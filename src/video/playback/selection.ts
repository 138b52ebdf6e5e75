import type { FragmentStore, StoredFragment, StreamLogs } from '../media/fragment-store.js';
import type { PlaybackSession } from './session-token.js';

/**
 * Which fragments a session's playlist or manifest lists right now (VIDEO-SPEC §5.4 range and
 * mode rules), computed from the session and the log alone so that every node agrees:
 * - ON_DEMAND: fragments starting in [start, end], the first MaxResults of them;
 * - LIVE: the newest MaxResults fragments (log order is arrival order, so a later playlist never
 *   lists a fragment older than one listed before); the media sequence is the log index;
 * - LIVE_REPLAY: fragments from start, added at real-time pace since the session was made
 *   (start + elapsed), the newest MaxResults of them, ending once past end.
 * With PRODUCER_TIMESTAMP, fragments are ordered by producer time and, for equal start times,
 * the higher fragment number wins.
 */

/** Defaults of MaxMediaPlaylistFragmentResults / MaxManifestFragmentResults (§5.4). */
export const DEFAULT_LIVE_MAX_RESULTS = 5;
export const DEFAULT_ON_DEMAND_MAX_RESULTS = 1000;
/** LIVE needs a fragment this recent when the session is made (§5.4 errors: "none in the last 30 s"). */
export const LIVE_RECENT_MS = 30_000;
/** A gap or overlap between fragments larger than this is a discontinuity (§5.4 ON_DISCONTINUITY). */
export const DISCONTINUITY_TOLERANCE_MS = 50;
/** Fragments looked at (server time) or taken from the index (producer time) for one ON_DEMAND / LIVE_REPLAY selection (bounds a request's work). */
export const SELECTION_SCAN_LIMIT = 100_000;

export interface Selection {
  fragments: StoredFragment[];
  /** EXT-X-MEDIA-SEQUENCE of the first fragment listed. */
  mediaSequence: number;
  /** Whether the list is complete (ON_DEMAND, or LIVE_REPLAY past its end). */
  ended: boolean;
}

export const selectorTime = (session: Pick<PlaybackSession, 'selector'>, f: StoredFragment): number => (session.selector === 'SERVER_TIMESTAMP' ? f.st : f.pt);

/** Fragments starting in [start, end] (end open when undefined), in selector-time order. */
export async function fragmentsInRange(
  fragments: FragmentStore, logs: StreamLogs, session: Pick<PlaybackSession, 'selector'>, start: number, end: number | undefined, horizon: number, limit: number,
): Promise<StoredFragment[]> {
  if (session.selector === 'SERVER_TIMESTAMP') {
    const out: StoredFragment[] = [];
    let scanned = 0;
    for await (const fragment of fragments.scan(logs, await fragments.indexAtTime(logs, start), horizon)) {
      if (end !== undefined && fragment.st > end) break;
      if (fragment.st >= start) out.push(fragment);
      if (out.length >= limit || ++scanned >= SELECTION_SCAN_LIMIT) break;
    }
    return out;
  }
  // Producer time: the fragments in range from the producer-time index (in log order), then sorted,
  // duplicates of one start time resolved to the higher fragment number.
  const indices = (await fragments.producerTimes(logs, horizon)).inRange(start, end ?? Infinity, 0, SELECTION_SCAN_LIMIT);
  const out = await fragments.fragmentsAt(logs, indices, horizon);
  out.sort((a, b) => a.pt - b.pt || (a.fn < b.fn ? -1 : 1));
  const unique: StoredFragment[] = [];
  for (const f of out) {
    if (unique.length && unique[unique.length - 1].pt === f.pt) unique[unique.length - 1] = f;
    else unique.push(f);
  }
  return unique.slice(0, limit);
}

/** The newest `count` fragments of the stream. */
export async function newestFragments(fragments: FragmentStore, logs: StreamLogs, horizon: number, count: number): Promise<StoredFragment[]> {
  const tip = await fragments.tip(logs);
  const { fragments: list } = await fragments.readFragments(logs, Math.max(0, tip - count), horizon, count);
  return list.slice(-count);
}

export async function select(fragments: FragmentStore, logs: StreamLogs, session: PlaybackSession, horizon: number, now = Date.now()): Promise<Selection> {
  const max = session.maxResults;
  if (session.mode === 'LIVE') {
    const list = await newestFragments(fragments, logs, horizon, max);
    return { fragments: list, mediaSequence: list[0]?.index ?? 0, ended: false };
  }
  if (session.mode === 'ON_DEMAND') {
    return { fragments: await fragmentsInRange(fragments, logs, session, session.start!, session.end, horizon, max), mediaSequence: 0, ended: true };
  }
  const reached = session.start! + Math.max(0, now - session.created);
  const until = session.end === undefined ? reached : Math.min(reached, session.end);
  const all = await fragmentsInRange(fragments, logs, session, session.start!, until, horizon, SELECTION_SCAN_LIMIT);
  const first = Math.max(0, all.length - max);
  return { fragments: all.slice(first), mediaSequence: first, ended: session.end !== undefined && reached >= session.end };
}

/**
 * Durations (seconds) and discontinuities of listed fragments, on the producer's clock (the
 * media's timeline): a fragment lasts until the next one starts when they are contiguous;
 * otherwise its length plus the typical last-frame duration of the list.
 */
export function timeline(list: StoredFragment[]): Array<{ seconds: number; gapBefore: boolean }> {
  const lastFrame: number[] = [];
  for (let k = 0; k + 1 < list.length; k++) lastFrame.push(list[k + 1].pt - list[k].pt - list[k].len);
  const typical = median(lastFrame.filter((g) => g > 0)) ?? FALLBACK_LAST_FRAME_MS;
  return list.map((f, k) => {
    const previous = list[k - 1];
    const gapBefore = previous !== undefined && Math.abs(f.pt - (previous.pt + previous.len + typical)) > DISCONTINUITY_TOLERANCE_MS;
    const next = list[k + 1];
    const contiguous = next !== undefined && Math.abs(next.pt - (f.pt + f.len + typical)) <= DISCONTINUITY_TOLERANCE_MS;
    const ms = contiguous ? next.pt - f.pt : f.len + typical;
    return { seconds: ms / 1000, gapBefore };
  });
}

/** A lone fragment's last-frame duration when nothing measures it (25 fps). UNVERIFIED choice. */
const FALLBACK_LAST_FRAME_MS = 40;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
