import { Readable } from 'node:stream';
import type { VideoRequestContext } from '../context.js';
import { streamNotFound } from '../errors.js';
import { simpleTags } from '../mkv/writer.js';
import { connectionLimitExceeded, GET_MEDIA_CONNECTION_LIMIT, invalidArgument, selectorMemberRequired } from './errors.js';
import { decodeFragmentNumber } from './fragment-number.js';
import { streamLogs, type FragmentStore, type StoredFragment, type StreamLogs } from './fragment-store.js';
import { GET_MEDIA_CONNECTIONS, MAX_FRAGMENT_DURATION_MS } from './limits.js';
import {
  CONTINUATION_TOKEN_TAG, ERROR_CODE_TAG, ERROR_ID_TAG, FRAGMENT_NOT_FOUND_ERROR, FragmentGoneError, fragmentOutput, MILLIS_BEHIND_NOW_TAG,
} from './media-output.js';
import { retentionHorizon, servesMedia, type MediaRuntime } from './runtime.js';

/**
 * GetMedia (VIDEO-SPEC §4): fragments from the selected start, each as a complete mini-file
 * (media-output.ts) followed by Tags{MILLIS_BEHIND_NOW, CONTINUATION_TOKEN}; at the tip it follows
 * new fragments as they are committed (the store's watch, so a fragment put through any node
 * arrives), and ends after GET_MEDIA_IDLE_END_MS without one.
 */

/** The response's Content-Type: `video/webm` is commonly cited (§4.2). UNVERIFIED. */
export const GET_MEDIA_CONTENT_TYPE = 'video/webm';
/** NOW = the next fragment to arrive, not the newest stored one (§4.1, the safest reading). UNVERIFIED. */
export const NOW_IS_NEXT_FRAGMENT = true;
/** FRAGMENT_NUMBER starts with the named fragment itself (Amazon Connect consumers rely on it, §4.1). UNVERIFIED. */
export const FRAGMENT_NUMBER_INCLUSIVE = true;
/** CONTINUATION_TOKEN resumes after the fragment it names (the token is the last one sent, §4.1). UNVERIFIED. */
export const CONTINUATION_TOKEN_INCLUSIVE = false;
/**
 * A GetMedia response ends once no new fragment arrived for this long (clients reconnect with the
 * continuation token, as the parser library's ContinuousGetMediaWorker does). UNVERIFIED.
 */
export const GET_MEDIA_IDLE_END_MS = 5_000;

interface GetMediaInput {
  StreamName?: string;
  StreamARN?: string;
  StartSelector: {
    StartSelectorType: 'FRAGMENT_NUMBER' | 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP' | 'NOW' | 'EARLIEST' | 'CONTINUATION_TOKEN';
    AfterFragmentNumber?: string;
    StartTimestamp?: Date;
    ContinuationToken?: string;
  };
}

export async function getMedia(runtime: MediaRuntime, input: GetMediaInput, context: VideoRequestContext): Promise<Record<string, unknown>> {
  const stream = await context.video.streams.find(context.account, context.region, input);
  if (!servesMedia(stream)) throw streamNotFound();
  const logs = streamLogs(stream.StreamARN);
  const horizon = () => retentionHorizon(stream);
  const start = await startIndex(runtime.fragments, logs, input.StartSelector, horizon());
  if (!runtime.openReader(stream.StreamARN, runtime.enforceLimits ? GET_MEDIA_CONNECTIONS : undefined)) {
    throw connectionLimitExceeded(GET_MEDIA_CONNECTION_LIMIT);
  }
  context.video.metrics?.mediaRequest(stream, 'GetMedia');
  const signal = context.signal;
  const fragments = runtime.fragments;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      let index = start.index;
      const skipBefore = start.after;
      let lastSent = Date.now();
      while (!signal.aborted) {
        const batch = await fragments.readFragments(logs, index, horizon());
        for (const fragment of batch.fragments) {
          if (signal.aborted) return;
          if (skipBefore !== undefined && fragment.fn <= skipBefore) continue;
          try {
            yield* fragmentOutput(fragments, logs, fragment, () => [
              [MILLIS_BEHIND_NOW_TAG, String(Math.max(0, Date.now() - fragment.st))],
              [CONTINUATION_TOKEN_TAG, fragment.fn],
            ]);
          } catch (error) {
            if (!(error instanceof FragmentGoneError)) throw error;
            yield simpleTags([[ERROR_CODE_TAG, FRAGMENT_NOT_FOUND_ERROR.code], [ERROR_ID_TAG, String(FRAGMENT_NOT_FOUND_ERROR.id)]]);
            return;
          }
          lastSent = Date.now();
          context.video.metrics?.fragmentOut(stream, 'GetMedia', fragment.size, lastSent - fragment.st);
        }
        index = batch.nextIndex;
        if (batch.fragments.length > 0) continue;
        const waited = GET_MEDIA_IDLE_END_MS - (Date.now() - lastSent);
        if (waited <= 0) return;
        await nextCommit(fragments, logs, waited, signal);
      }
    } finally {
      runtime.closeReader(stream.StreamARN);
    }
  }
  return { ContentType: GET_MEDIA_CONTENT_TYPE, Payload: Readable.from(chunks(), { objectMode: false }) };
}

/** Resolves when the fragments log grows, after `ms`, or when the caller goes away. */
export function nextCommit(fragments: FragmentStore, logs: StreamLogs, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unwatch();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unwatch = fragments.watch(logs, done);
    signal.addEventListener('abort', done);
  });
}

/**
 * Where a StartSelector starts (§4.1): the first index to read, and optionally a fragment number
 * at or before which fragments are skipped (for the selectors that name one).
 */
async function startIndex(
  fragments: FragmentStore,
  logs: StreamLogs,
  selector: GetMediaInput['StartSelector'],
  horizon: number,
): Promise<{ index: number; after?: string }> {
  switch (selector.StartSelectorType) {
    case 'NOW':
      if (NOW_IS_NEXT_FRAGMENT) return { index: await fragments.tip(logs) };
      return { index: Math.max(0, (await fragments.tip(logs)) - 1) };
    case 'EARLIEST':
      return { index: 0 };
    case 'FRAGMENT_NUMBER': {
      const number = selector.AfterFragmentNumber;
      if (number === undefined) throw invalidArgument(selectorMemberRequired('FRAGMENT_NUMBER', 'AfterFragmentNumber'));
      return byFragmentNumber(fragments, logs, number, FRAGMENT_NUMBER_INCLUSIVE);
    }
    case 'CONTINUATION_TOKEN': {
      const token = selector.ContinuationToken;
      if (token === undefined) throw invalidArgument(selectorMemberRequired('CONTINUATION_TOKEN', 'ContinuationToken'));
      return byFragmentNumber(fragments, logs, token, CONTINUATION_TOKEN_INCLUSIVE);
    }
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const at = selector.StartTimestamp;
      if (at === undefined) throw invalidArgument(selectorMemberRequired(selector.StartSelectorType, 'StartTimestamp'));
      const found = await fragmentContaining(fragments, logs, selector.StartSelectorType, at.getTime(), horizon);
      return { index: found ?? (await fragments.tip(logs)) };
    }
  }
}

/**
 * Fragment numbers sort as numbers and grow along a stream, so a start given by number begins at
 * the first fragment at (or after) it; its embedded server time bounds where to look.
 */
async function byFragmentNumber(fragments: FragmentStore, logs: StreamLogs, number: string, inclusive: boolean): Promise<{ index: number; after?: string }> {
  const parts = decodeFragmentNumber(number);
  const index = parts ? await fragments.indexAtTime(logs, parts.serverMs) : 0;
  // Skip every fragment numbered below it (or at it, when exclusive).
  const below = inclusive ? predecessor(number) : number;
  return { index, after: below };
}

/** The largest 47-digit-or-shorter decimal below `number` in string order of equal length. */
function predecessor(number: string): string {
  if (!/^[0-9]+$/.test(number) || /^0+$/.test(number)) return '';
  return (BigInt(number) - 1n).toString().padStart(number.length, '0');
}

/**
 * The index of the fragment that holds `ms` (by server or producer time): the last one starting at
 * or before it — for producer time only while `ms` is within its length — else the first one after
 * it; undefined when none is at or after it.
 */
export async function fragmentContaining(
  fragments: FragmentStore,
  logs: StreamLogs,
  type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP',
  ms: number,
  horizon: number,
): Promise<number | undefined> {
  if (type === 'PRODUCER_TIMESTAMP') {
    // The producer-time index gives, in log order, the first fragment starting after `ms` and the one before it.
    const { before, after } = (await fragments.producerTimes(logs, horizon)).around(ms);
    if (before && ms <= before.pt + before.len) return before.index;
    return after?.index;
  }
  // Commit times are at or after server times, and a fragment lasts at most MAX_FRAGMENT_DURATION_MS:
  // a server-time search starts there.
  const from = await fragments.indexAtTime(logs, ms - MAX_FRAGMENT_DURATION_MS);
  let candidate: StoredFragment | undefined;
  for await (const fragment of fragments.scan(logs, from, horizon)) {
    if (fragment.st <= ms) {
      candidate = fragment;
      continue;
    }
    return (candidate ?? fragment).index;
  }
  if (candidate && ms <= candidate.st + candidate.len) return candidate.index;
  return undefined;
}
