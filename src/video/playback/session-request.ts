import type { VideoRequestContext } from '../context.js';
import { noDataRetention } from '../errors.js';
import type { StoredFragment } from '../media/fragment-store.js';
import {
  END_IN_FUTURE, END_REQUIRED, invalidArgument, noFragments, RANGE_NOT_ALLOWED_LIVE, RANGE_TOO_LONG, SELECTOR_REQUIRED, START_AFTER_END, START_REQUIRED,
} from './errors.js';
import type { PlaybackRuntime } from './runtime.js';
import { DEFAULT_LIVE_MAX_RESULTS, DEFAULT_ON_DEMAND_MAX_RESULTS, fragmentsInRange, LIVE_RECENT_MS, newestFragments } from './selection.js';
import type { PlaybackMode, PlaybackSession, SelectorType } from './session-token.js';

/**
 * What GetHLSStreamingSessionURL and GetDASHStreamingSessionURL share (VIDEO-SPEC §5.4, §5.5):
 * checking mode and range, finding at least one fragment, checking its codecs, and signing the
 * session into a token.
 */

/** Expires default (§5.4; the model bounds it to 300..43200 s). */
export const DEFAULT_EXPIRES_SECONDS = 300;
/** End − Start at most 24 h (§5.4, current docs; 3 h in the 2020 doc). */
export const MAX_RANGE_MS = 24 * 3_600_000;

export interface SessionRequest {
  StreamName?: string;
  StreamARN?: string;
  PlaybackMode?: PlaybackMode;
  selector?: { FragmentSelectorType?: SelectorType; TimestampRange?: { StartTimestamp?: Date; EndTimestamp?: Date } };
  Expires?: number;
  maxResults?: number;
  DiscontinuityMode?: PlaybackSession['discontinuity'];
  ContainerFormat?: PlaybackSession['container'];
  DisplayFragmentTimestamp?: 'ALWAYS' | 'NEVER';
  DisplayFragmentNumber?: 'ALWAYS' | 'NEVER';
}

export async function createSession(runtime: PlaybackRuntime, protocol: 'hls' | 'dash', input: SessionRequest, context: VideoRequestContext): Promise<string> {
  const mode = input.PlaybackMode ?? 'LIVE';
  const selectorType = input.selector?.FragmentSelectorType ?? 'SERVER_TIMESTAMP';
  const range = input.selector?.TimestampRange;
  const start = range?.StartTimestamp?.getTime();
  const end = range?.EndTimestamp?.getTime();
  const now = Date.now();
  if (mode === 'LIVE') {
    if (range) throw invalidArgument(RANGE_NOT_ALLOWED_LIVE);
  } else {
    if (!input.selector) throw invalidArgument(SELECTOR_REQUIRED(mode));
    if (start === undefined) throw invalidArgument(START_REQUIRED(mode));
    if (mode === 'ON_DEMAND' && end === undefined) throw invalidArgument(END_REQUIRED(mode));
    if (end !== undefined) {
      if (start >= end) throw invalidArgument(START_AFTER_END);
      if (end - start > MAX_RANGE_MS) throw invalidArgument(RANGE_TOO_LONG);
      if (selectorType === 'SERVER_TIMESTAMP' && end > now) throw invalidArgument(END_IN_FUTURE);
    }
  }
  const { stream, logs, horizon } = await runtime.stream(context.account, context.region, (await context.video.streams.find(context.account, context.region, input)).StreamARN);
  if (stream.DataRetentionInHours === 0) throw noDataRetention();

  const session: PlaybackSession = {
    protocol,
    streamArn: stream.StreamARN,
    account: context.account,
    region: context.region,
    mode,
    container: input.ContainerFormat ?? 'FRAGMENTED_MP4',
    selector: selectorType,
    start,
    end,
    discontinuity: input.DiscontinuityMode ?? (selectorType === 'SERVER_TIMESTAMP' ? 'ALWAYS' : 'NEVER'),
    displayTimestamp: input.DisplayFragmentTimestamp === 'ALWAYS',
    displayFragmentNumber: input.DisplayFragmentNumber === 'ALWAYS',
    maxResults: input.maxResults ?? (mode === 'ON_DEMAND' ? DEFAULT_ON_DEMAND_MAX_RESULTS : DEFAULT_LIVE_MAX_RESULTS),
    created: now,
    expires: now + (input.Expires ?? DEFAULT_EXPIRES_SECONDS) * 1000,
  };

  // At least one fragment to play, and codecs a player can take.
  let list: StoredFragment[];
  if (mode === 'LIVE') {
    list = await newestFragments(runtime.media.fragments, logs, horizon, session.maxResults);
    if (list.length === 0 || list[list.length - 1].st < now - LIVE_RECENT_MS) throw noFragments();
  } else {
    list = await fragmentsInRange(runtime.media.fragments, logs, session, start!, end, horizon, session.maxResults);
    if (list.length === 0) throw noFragments();
  }
  await runtime.sessionTracks(logs, list);
  return runtime.keys.sign(session);
}
