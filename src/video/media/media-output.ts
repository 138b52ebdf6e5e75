import { clusterHeader, SEGMENT_UNKNOWN_SIZE, simpleTags } from '../mkv/writer.js';
import type { FragmentStore, StoredFragment, StreamLogs } from './fragment-store.js';

/**
 * A stored fragment as GetMedia and GetMediaForFragmentList send it (VIDEO-SPEC §4.2, captured
 * layout): a complete mini-file per fragment — EBML header, Segment of unknown size, the
 * producer's header elements, Tags{FRAGMENT_NUMBER, SERVER_TIMESTAMP, PRODUCER_TIMESTAMP}, the
 * Cluster with an 8-byte size, the producer's fragment Tags, then the caller's trailing Tags.
 */

export const FRAGMENT_NUMBER_TAG = 'AWS_KINESISVIDEO_FRAGMENT_NUMBER';
export const SERVER_TIMESTAMP_TAG = 'AWS_KINESISVIDEO_SERVER_TIMESTAMP';
export const PRODUCER_TIMESTAMP_TAG = 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP';
export const MILLIS_BEHIND_NOW_TAG = 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW';
export const CONTINUATION_TOKEN_TAG = 'AWS_KINESISVIDEO_CONTINUATION_TOKEN';
export const ERROR_CODE_TAG = 'AWS_KINESISVIDEO_ERROR_CODE';
export const ERROR_ID_TAG = 'AWS_KINESISVIDEO_ERROR_ID';
export const EXCEPTION_ERROR_CODE_TAG = 'AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE';
export const EXCEPTION_MESSAGE_TAG = 'AWS_KINESISVIDEO_EXCEPTION_MESSAGE';

/** GetMedia's error tag for a fragment that is gone (§4.2: 4000 requested fragment not found). */
export const FRAGMENT_NOT_FOUND_ERROR = { code: 'FRAGMENT_NOT_FOUND', id: 4000 } as const;

/** Epoch ms as AWS writes timestamps in tags: decimal seconds with 3 decimals ("1511852109.126"). */
export const tagSeconds = (ms: number): string => (ms / 1000).toFixed(3);

export class FragmentGoneError extends Error {}

/**
 * The fragment's bytes, piece by piece; `trailer` is asked for its tags when the Cluster has been
 * sent (MILLIS_BEHIND_NOW is measured then). Throws FragmentGoneError before sending anything
 * when the fragment's header or first chunk is gone (retention or deletion meanwhile).
 */
export async function* fragmentOutput(
  store: FragmentStore,
  logs: StreamLogs,
  fragment: StoredFragment,
  trailer?: () => Array<[string, string]>,
): AsyncGenerator<Buffer> {
  const header = await store.header(logs, fragment.header);
  if (!header) throw new FragmentGoneError(fragment.fn);
  const media = store.media(logs, fragment);
  const first = fragment.size > 0 ? await media.next() : undefined;
  if (first && (first.done || first.value === undefined)) throw new FragmentGoneError(fragment.fn);
  yield Buffer.concat([
    header.subarray(0, fragment.ebml),
    SEGMENT_UNKNOWN_SIZE,
    header.subarray(fragment.ebml),
    simpleTags([
      [FRAGMENT_NUMBER_TAG, fragment.fn],
      [SERVER_TIMESTAMP_TAG, tagSeconds(fragment.st)],
      [PRODUCER_TIMESTAMP_TAG, tagSeconds(fragment.pt)],
    ]),
    clusterHeader(fragment.size),
  ]);
  if (first) {
    yield first.value as Buffer;
    for (;;) {
      const next = await media.next();
      if (next.done) {
        // A chunk vanished mid-fragment: the response cannot be repaired, so it ends here.
        if (next.value === false) throw new FragmentGoneError(fragment.fn);
        break;
      }
      yield next.value;
    }
  }
  if (fragment.tags) yield Buffer.from(fragment.tags, 'base64');
  if (trailer) yield simpleTags(trailer());
}
