import type { StoredFragment } from '../media/fragment-store.js';
import type { PlaybackTrack } from './codecs.js';
import { selectorTime, timeline, type Selection } from './selection.js';
import type { PlaybackSession } from './session-token.js';

/**
 * HLS playlists shaped as the captured KVS ones (VIDEO-SPEC §5.4): the master lists the video
 * media playlist (TrackNumber=1) and, with audio, an EXT-X-MEDIA rendition (TrackNumber=2); media
 * playlists list one URL per fragment under the exact resource and query names AWS uses.
 */

export const HLS_PATH = '/hls/v1/';
export const MASTER_PLAYLIST = 'getHLSMasterPlaylist.m3u8';
export const MEDIA_PLAYLIST = 'getHLSMediaPlaylist.m3u8';
export const INIT_FRAGMENT = 'getMP4InitFragment.mp4';
export const MEDIA_FRAGMENT = 'getMP4MediaFragment.mp4';
export const TS_FRAGMENT = 'getTSFragment.ts';

/** Captured: master playlists say version 1, fMP4 media playlists version 7 (EXT-X-MAP needs ≥ 6). */
export const MASTER_VERSION = 1;
export const FMP4_MEDIA_VERSION = 7;
/** UNVERIFIED: TS media playlists (nothing there needs more than version 3). */
export const TS_MEDIA_VERSION = 3;

export interface StreamSummary {
  tracks: PlaybackTrack[];
  /** Frames per second of the video track, when measured. */
  frameRate?: number;
  /** Peak bits per second over the listed fragments. */
  bandwidth: number;
}

export function masterPlaylist(session: PlaybackSession, token: string, summary: StreamSummary): string {
  const video = summary.tracks[0];
  const audio = summary.tracks[1];
  const codecs = summary.tracks.map((t) => t.config.codecString).join(',');
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${MASTER_VERSION}`];
  const separateAudio = audio !== undefined && session.container === 'FRAGMENTED_MP4';
  if (separateAudio) {
    lines.push(`#EXT-X-MEDIA:AUTOSELECT=YES,FORCED=NO,TYPE=AUDIO,URI="${MEDIA_PLAYLIST}?SessionToken=${token}&TrackNumber=2",GROUP-ID="audio",DEFAULT=NO,NAME="audio"`);
  }
  const attributes = [`CODECS="${codecs}"`];
  if (video.config.kind !== 'aac' && video.width && video.height) attributes.push(`RESOLUTION=${video.width}x${video.height}`);
  if (video.config.kind !== 'aac' && summary.frameRate) attributes.push(`FRAME-RATE=${summary.frameRate.toFixed(2)}`);
  attributes.push(`BANDWIDTH=${Math.max(1, Math.round(summary.bandwidth))}`);
  if (separateAudio) attributes.push('AUDIO="audio"');
  lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`);
  lines.push(session.container === 'FRAGMENTED_MP4' ? `${MEDIA_PLAYLIST}?SessionToken=${token}&TrackNumber=1` : `${MEDIA_PLAYLIST}?SessionToken=${token}`);
  return `${lines.join('\n')}\n`;
}

/** The init segment's SequenceNumber for a header: a stable number naming it (48 bits of its hash). */
export const headerSequenceNumber = (headerHash: string): string => String(parseInt(headerHash.slice(0, 12), 16));

export function mediaPlaylist(session: PlaybackSession, token: string, selection: Selection, trackNumber: number): string {
  const fmp4 = session.container === 'FRAGMENTED_MP4';
  const list = selection.fragments;
  const times = timeline(list);
  const target = Math.max(1, ...times.map((t) => Math.ceil(t.seconds)));
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${fmp4 ? FMP4_MEDIA_VERSION : TS_MEDIA_VERSION}`];
  if (session.mode === 'ON_DEMAND') lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  lines.push(`#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${selection.mediaSequence}`);
  if (fmp4) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let header: string | undefined;
  list.forEach((fragment: StoredFragment, k) => {
    const headerChanged = fragment.header !== header;
    const discontinuity =
      session.discontinuity === 'ALWAYS' || (k > 0 && headerChanged) || (session.discontinuity === 'ON_DISCONTINUITY' && times[k].gapBefore);
    if (discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (fmp4 && (discontinuity || headerChanged)) {
      lines.push(`#EXT-X-MAP:URI="${INIT_FRAGMENT}?SessionToken=${token}&TrackNumber=${trackNumber}&SequenceNumber=${headerSequenceNumber(fragment.header)}"`);
    }
    header = fragment.header;
    if (session.displayTimestamp) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(selectorTime(session, fragment)).toISOString()}`);
    lines.push(`#EXTINF:${times[k].seconds.toFixed(3)},`);
    lines.push(fmp4 ? `${MEDIA_FRAGMENT}?FragmentNumber=${fragment.fn}&SessionToken=${token}&TrackNumber=${trackNumber}` : `${TS_FRAGMENT}?FragmentNumber=${fragment.fn}&SessionToken=${token}`);
  });
  if (selection.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
