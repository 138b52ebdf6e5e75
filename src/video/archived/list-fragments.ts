import type { VideoRequestContext } from '../context.js';
import { invalidArgument, NEXT_TOKEN_INVALID, TIMESTAMP_RANGE_INVALID } from '../media/errors.js';
import { streamLogs, type StoredFragment } from '../media/fragment-store.js';
import { retentionHorizon, type MediaRuntime } from '../media/runtime.js';

/**
 * ListFragments (VIDEO-SPEC §5.1): fragments whose start lies in the selector's range (both ends
 * inclusive), in fragment order (AWS promises no order; ordered output is a valid one), paged by
 * an opaque base64 NextToken holding where the scan continues.
 */

/** Default MaxResults (the model's maximum; AWS's default UNVERIFIED). */
export const LIST_FRAGMENTS_DEFAULT_MAX_RESULTS = 1000;
/** Fragment records looked at per call before answering with a NextToken (bounds one request's work). */
export const LIST_FRAGMENTS_SCAN_LIMIT = 20_000;

interface ListFragmentsInput {
  StreamName?: string;
  StreamARN?: string;
  MaxResults?: number;
  NextToken?: string;
  FragmentSelector?: {
    FragmentSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
    TimestampRange: { StartTimestamp: Date; EndTimestamp: Date };
  };
}

export async function listFragments(runtime: MediaRuntime, input: ListFragmentsInput, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  const logs = streamLogs(stream.StreamARN);
  const fragments = runtime.fragments;
  const selector = input.FragmentSelector;
  const startMs = selector?.TimestampRange.StartTimestamp.getTime();
  const endMs = selector?.TimestampRange.EndTimestamp.getTime();
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) throw invalidArgument(TIMESTAMP_RANGE_INVALID);
  const byServer = selector?.FragmentSelectorType === 'SERVER_TIMESTAMP';

  let index: number;
  if (input.NextToken !== undefined) index = decodeToken(input.NextToken);
  // A fragment's commit comes at or after its server timestamp: nothing before indexAtTime(start) starts in range.
  else index = byServer ? await fragments.indexAtTime(logs, startMs!) : 0;

  const max = input.MaxResults ?? LIST_FRAGMENTS_DEFAULT_MAX_RESULTS;
  const horizon = retentionHorizon(stream);
  if (selector && !byServer) {
    // Producer time: the index names the fragments in range (log order); one more than a page says whether a token is due.
    const found = (await fragments.producerTimes(logs, horizon)).inRange(startMs!, endMs!, index, max + 1);
    const page = await fragments.fragmentsAt(logs, found.slice(0, max), horizon);
    return { Fragments: page.map(describe), NextToken: found.length > max ? encodeToken(found[max]!) : undefined };
  }
  const out: Array<Record<string, unknown>> = [];
  let scanned = 0;
  let nextIndex: number | undefined;
  scan: for (;;) {
    const batch = await fragments.readFragments(logs, index, horizon);
    for (const fragment of batch.fragments) {
      scanned++;
      const t = fragment.st;
      // Server timestamps grow along the log: past the end, nothing later is in range.
      if (byServer && t > endMs!) break scan;
      if (startMs === undefined || (t >= startMs && t <= endMs!)) out.push(describe(fragment));
      if (out.length >= max || scanned >= LIST_FRAGMENTS_SCAN_LIMIT) {
        nextIndex = fragment.index + 1;
        break scan;
      }
    }
    if (batch.fragments.length === 0 || batch.nextIndex === index) break;
    index = batch.nextIndex;
  }
  // A token only when something may follow.
  if (nextIndex !== undefined && nextIndex >= (await fragments.tip(logs))) nextIndex = undefined;
  return { Fragments: out, NextToken: nextIndex === undefined ? undefined : encodeToken(nextIndex) };
}

const describe = (fragment: StoredFragment) => ({
  FragmentNumber: fragment.fn,
  FragmentSizeInBytes: fragment.size,
  ProducerTimestamp: new Date(fragment.pt),
  ServerTimestamp: new Date(fragment.st),
  FragmentLengthInMilliseconds: fragment.len,
});

const TOKEN_PREFIX = 'lf1:';

function encodeToken(index: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${index}`).toString('base64');
}

function decodeToken(token: string): number {
  const text = Buffer.from(token, 'base64').toString();
  const index = Number(text.slice(TOKEN_PREFIX.length));
  if (!text.startsWith(TOKEN_PREFIX) || !Number.isSafeInteger(index) || index < 0) throw invalidArgument(NEXT_TOKEN_INVALID);
  return index;
}
