import type { Logger } from 'pino';
import { AwsError } from '../../protocol/errors.js';
import { drain, sendRaw, type ServerRequest, type ServerResponse } from '../../protocol/http-exchange.js';
import { ERROR_TYPE_SUFFIX } from '../errors.js';
import { FragmentGoneError } from '../media/media-output.js';
import { DASH_MANIFEST, DASH_PATH, dashManifest } from './dash.js';
import {
  clientLimitExceeded, fragmentNotFound, invalidArgument, mediaError, noFragments, notAuthorized, parameterInvalid, SESSION_TOKEN_EXPIRED, SESSION_TOKEN_INVALID,
  TRACK_NOT_IN_SESSION,
} from './errors.js';
import {
  headerSequenceNumber, HLS_PATH, INIT_FRAGMENT, MASTER_PLAYLIST, masterPlaylist, MEDIA_FRAGMENT, MEDIA_PLAYLIST, mediaPlaylist, TS_FRAGMENT,
} from './hls.js';
import type { PlaybackRuntime } from './runtime.js';
import { select } from './selection.js';
import type { PlaybackSession } from './session-token.js';

/**
 * The playback URLs (VIDEO-SPEC §5.4, §5.5): plain GETs that players make without signing, under
 * `/hls/v1/` and `/dash/v1/` with AWS's resource and query names. The SessionToken is the
 * authorization; errors are the archived-media API's JSON errors.
 */

export const CONTENT_TYPES = {
  m3u8: 'application/vnd.apple.mpegurl',
  mp4: 'video/mp4',
  ts: 'video/mp2t',
  mpd: 'application/dash+xml',
} as const;

/** Playback endpoint quotas per session (§5.4 "Sessions"), enforced with --enforce-limits. */
export const PLAYLIST_TPS = 5;
export const FRAGMENT_TPS = 20;

const RESOURCES = new Set([
  `${HLS_PATH}${MASTER_PLAYLIST}`, `${HLS_PATH}${MEDIA_PLAYLIST}`, `${HLS_PATH}${INIT_FRAGMENT}`, `${HLS_PATH}${MEDIA_FRAGMENT}`, `${HLS_PATH}${TS_FRAGMENT}`,
  `${DASH_PATH}${DASH_MANIFEST}`, `${DASH_PATH}${INIT_FRAGMENT}`, `${DASH_PATH}${MEDIA_FRAGMENT}`,
]);

export const isPlaybackPath = (path: string): boolean => RESOURCES.has(path);

export function playbackHandler(runtime: PlaybackRuntime, log: Logger) {
  return (req: ServerRequest, res: ServerResponse): void => {
    serve(runtime, req, res).catch((error) => {
      const aws = error instanceof FragmentGoneError ? fragmentNotFound() : mediaError(error);
      if (!(aws instanceof AwsError)) log.error({ err: error }, 'unhandled error while serving a playback URL');
      if (res.headersSent) return void res.destroy();
      const status = aws instanceof AwsError ? aws.status : 500;
      const type = aws instanceof AwsError ? aws.type : 'InternalFailure';
      res.setHeader('x-amzn-ErrorType', `${type}${ERROR_TYPE_SUFFIX}`);
      sendRaw(res, status, 'application/json', JSON.stringify(aws instanceof AwsError ? { Message: aws.message } : {}));
    });
  };
}

async function serve(runtime: PlaybackRuntime, req: ServerRequest, res: ServerResponse): Promise<void> {
  await drain(req);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const params = url.searchParams;
  // Browser players fetch from pages on other origins.
  res.setHeader('Access-Control-Allow-Origin', '*');
  const token = params.get('SessionToken');
  if (!token) throw notAuthorized(SESSION_TOKEN_INVALID);
  const verified = await runtime.keys.verify(token);
  if (verified === 'invalid') throw notAuthorized(SESSION_TOKEN_INVALID);
  if (verified === 'expired') throw notAuthorized(SESSION_TOKEN_EXPIRED);
  const session: PlaybackSession = verified;
  const protocolPath = session.protocol === 'hls' ? HLS_PATH : DASH_PATH;
  if (!path.startsWith(protocolPath)) throw notAuthorized(SESSION_TOKEN_INVALID);
  const resource = path.slice(protocolPath.length);
  const fragmentRequest = resource === MEDIA_FRAGMENT || resource === TS_FRAGMENT || resource === INIT_FRAGMENT;
  if (runtime.enforceLimits && !runtime.admit(token.slice(-24), fragmentRequest ? 'fragment' : 'playlist', fragmentRequest ? FRAGMENT_TPS : PLAYLIST_TPS)) {
    throw clientLimitExceeded();
  }
  const { logs, horizon } = await runtime.stream(session.account, session.region, session.streamArn);
  const media = runtime.media;

  const trackNumber = (required: boolean): number => {
    const text = params.get('TrackNumber');
    if (text === null && !required) return 1;
    const n = Number(text);
    if (text === null || !Number.isInteger(n) || n < 1) throw invalidArgument(parameterInvalid('TrackNumber'));
    return n;
  };
  const fragmentNumber = (): string => {
    const text = params.get('FragmentNumber');
    if (!text || !/^[0-9]{1,128}$/.test(text)) throw invalidArgument(parameterInvalid('FragmentNumber'));
    return text;
  };

  switch (resource) {
    case MASTER_PLAYLIST:
    case MEDIA_PLAYLIST:
    case DASH_MANIFEST: {
      if ((resource === DASH_MANIFEST) !== (session.protocol === 'dash')) throw notAuthorized(SESSION_TOKEN_INVALID);
      const selection = await select(media.fragments, logs, session, horizon);
      if (selection.fragments.length === 0) throw noFragments();
      // A listing costs a metadata point per fragment listed (UNVERIFIED: the quotas page prices ListFragments so).
      if (!runtime.spend(session.streamArn, 'metadata', selection.fragments.length)) throw clientLimitExceeded();
      const summary = resource === MEDIA_PLAYLIST ? undefined : await runtime.summary(logs, selection.fragments, horizon);
      if (resource === MASTER_PLAYLIST) return send(res, CONTENT_TYPES.m3u8, masterPlaylist(session, token, summary!));
      if (resource === DASH_MANIFEST) return send(res, CONTENT_TYPES.mpd, dashManifest(session, token, selection, summary!));
      const track = session.container === 'FRAGMENTED_MP4' ? trackNumber(true) : 1;
      const tracks = await runtime.sessionTracks(logs, selection.fragments);
      if (track > tracks.length) throw invalidArgument(TRACK_NOT_IN_SESSION);
      return send(res, CONTENT_TYPES.m3u8, mediaPlaylist(session, token, selection, track));
    }
    case INIT_FRAGMENT: {
      if (session.container !== 'FRAGMENTED_MP4') throw invalidArgument(parameterInvalid('SessionToken'));
      const track = trackNumber(true);
      const sequence = params.get('SequenceNumber');
      if (!sequence || !/^[0-9]{1,20}$/.test(sequence)) throw invalidArgument(parameterInvalid('SequenceNumber'));
      const hash = await media.headerBySequence(logs, sequence, headerSequenceNumber);
      if (!hash) throw fragmentNotFound();
      const init = await media.initSegment(logs, hash, track);
      if (!init) throw invalidArgument(TRACK_NOT_IN_SESSION);
      return send(res, CONTENT_TYPES.mp4, init);
    }
    case MEDIA_FRAGMENT:
    case TS_FRAGMENT: {
      const ts = resource === TS_FRAGMENT;
      if (ts !== (session.container === 'MPEG_TS')) throw invalidArgument(parameterInvalid('SessionToken'));
      const number = fragmentNumber();
      const track = ts ? 1 : trackNumber(true);
      // A fragment served costs one media point (§5.2's pricing of GetMediaForFragmentList).
      if (!runtime.spend(session.streamArn, 'media', 1)) throw clientLimitExceeded();
      const fragment = await media.find(logs, number, horizon);
      if (!fragment) throw fragmentNotFound();
      if (ts) return send(res, CONTENT_TYPES.ts, await media.tsSegment(logs, fragment, horizon));
      const pieces = await media.mediaSegment(logs, fragment, track, horizon);
      if (!pieces) throw invalidArgument(TRACK_NOT_IN_SESSION);
      return sendPieces(res, CONTENT_TYPES.mp4, pieces);
    }
    default:
      throw invalidArgument(parameterInvalid('path'));
  }
}

function send(res: ServerResponse, contentType: string, body: string | Buffer): void {
  sendRaw(res, 200, contentType, body);
}

/** A segment written as its pieces (moof, mdat header, payload slices) with one writev. */
function sendPieces(res: ServerResponse, contentType: string, pieces: Buffer[]): void {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', length);
  res.writeHead(200);
  // One writev over HTTP/1.1 (cork); HTTP/2 responses have no cork and take the writes as they come.
  const out = res as unknown as { cork?: () => void; uncork?: () => void; write(chunk: Buffer): boolean };
  out.cork?.();
  for (const piece of pieces) out.write(piece);
  out.uncork?.();
  res.end();
}
