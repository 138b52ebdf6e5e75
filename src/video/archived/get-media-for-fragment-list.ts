import { Readable } from 'node:stream';
import type { VideoRequestContext } from '../context.js';
import { streamNotFound } from '../errors.js';
import { simpleTags } from '../mkv/writer.js';
import { connectionLimitExceeded, GET_MEDIA_CONNECTION_LIMIT } from '../media/errors.js';
import { decodeFragmentNumber } from '../media/fragment-number.js';
import { GET_MEDIA_CONTENT_TYPE } from '../media/get-media.js';
import { streamLogs, type FragmentStore, type StoredFragment, type StreamLogs } from '../media/fragment-store.js';
import { GET_MEDIA_FOR_FRAGMENT_LIST_CONNECTIONS } from '../media/limits.js';
import {
  EXCEPTION_ERROR_CODE_TAG, EXCEPTION_MESSAGE_TAG, FRAGMENT_NUMBER_TAG, FragmentGoneError, fragmentOutput,
} from '../media/media-output.js';
import { retentionHorizon, servesMedia, type MediaRuntime } from '../media/runtime.js';

/**
 * GetMediaForFragmentList (VIDEO-SPEC §5.2): the named fragments in the order given, laid out as
 * GetMedia lays them out but without MILLIS_BEHIND_NOW / CONTINUATION_TOKEN. A fragment that does
 * not exist (or is gone) becomes the per-fragment failure tags instead.
 */

/** The response's Content-Type: GetMedia's one UNVERIFIED constant. */
export const GET_MEDIA_FOR_FRAGMENT_LIST_CONTENT_TYPE = GET_MEDIA_CONTENT_TYPE;
/** UNVERIFIED: the failure tags' code and message for a fragment that is not there. */
export const FRAGMENT_MISSING_CODE = 'ResourceNotFoundException';
export const FRAGMENT_MISSING_MESSAGE = 'The requested fragment is not found.';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  Fragments: string[];
}

export async function getMediaForFragmentList(runtime: MediaRuntime, input: Input, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  if (!servesMedia(stream)) throw streamNotFound();
  const logs = streamLogs(stream.StreamARN);
  if (!runtime.openReader(stream.StreamARN, runtime.enforceLimits ? GET_MEDIA_FOR_FRAGMENT_LIST_CONNECTIONS : undefined)) {
    throw connectionLimitExceeded(GET_MEDIA_CONNECTION_LIMIT);
  }
  context.video.metrics?.mediaRequest(stream, 'GetMediaForFragmentList');
  const fragments = runtime.fragments;
  const signal = context.signal;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const number of input.Fragments) {
        if (signal.aborted) return;
        const fragment = await findFragment(fragments, logs, number, retentionHorizon(stream));
        try {
          if (!fragment) throw new FragmentGoneError(number);
          yield* fragmentOutput(fragments, logs, fragment);
          context.video.metrics?.fragmentOut(stream, 'GetMediaForFragmentList', fragment.size);
        } catch (error) {
          if (!(error instanceof FragmentGoneError)) throw error;
          yield simpleTags([[FRAGMENT_NUMBER_TAG, number], [EXCEPTION_ERROR_CODE_TAG, FRAGMENT_MISSING_CODE], [EXCEPTION_MESSAGE_TAG, FRAGMENT_MISSING_MESSAGE]]);
        }
      }
    } finally {
      runtime.closeReader(stream.StreamARN);
    }
  }
  return { ContentType: GET_MEDIA_FOR_FRAGMENT_LIST_CONTENT_TYPE, Payload: Readable.from(chunks(), { objectMode: false }) };
}

/** A fragment by number: its embedded server time says where its record is (commit ≥ server time). */
export async function findFragment(fragments: FragmentStore, logs: StreamLogs, number: string, horizon: number): Promise<StoredFragment | undefined> {
  const parts = decodeFragmentNumber(number);
  if (!parts) return undefined;
  const from = await fragments.indexAtTime(logs, parts.serverMs);
  for await (const fragment of fragments.scan(logs, from, horizon)) {
    if (fragment.fn === number) return fragment;
    if (fragment.st > parts.serverMs) return undefined;
  }
  return undefined;
}
