import type { StoredFragment } from '../media/fragment-store.js';
import { headerSequenceNumber, INIT_FRAGMENT, MEDIA_FRAGMENT, type StreamSummary } from './hls.js';
import { selectorTime, timeline, type Selection } from './selection.js';
import type { PlaybackSession } from './session-token.js';

/**
 * The MPEG-DASH manifest (VIDEO-SPEC §5.5): one AdaptationSet per track over the same fMP4 init
 * and media fragments as HLS, a SegmentTimeline whose `S` elements carry `kvs:fn` / `kvs:ts` when
 * asked, and a SegmentList naming each fragment's URL (fragment numbers cannot be derived from a
 * template's $Number$ or $Time$). A change of session header starts a new Period with its init.
 */

export const DASH_PATH = '/dash/v1/';
export const DASH_MANIFEST = 'getDASHManifest.mpd';
/** UNVERIFIED: the namespace URI AWS binds the `kvs` prefix to. */
export const KVS_NAMESPACE = 'https://kinesisvideo.amazonaws.com/dash/kvs';
/** SegmentTimeline timescale: milliseconds, KVS's timestamp unit. */
const TIMESCALE = 1000;
/** LIVE manifests ask players to come back this often. */
const LIVE_UPDATE_PERIOD = 'PT1S';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const seconds = (ms: number) => `PT${(Math.max(0, ms) / 1000).toFixed(3)}S`;

export function dashManifest(session: PlaybackSession, token: string, selection: Selection, summary: StreamSummary, now = Date.now()): string {
  const list = selection.fragments;
  const times = timeline(list);
  const live = !selection.ended;
  const first = list[0];
  const last = list[list.length - 1];
  const totalMs = last.pt - first.pt + times[times.length - 1].seconds * 1000;
  const mpd: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:kvs="${KVS_NAMESPACE}" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S" ` +
      (live
        ? `type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" publishTime="${new Date(now).toISOString()}" minimumUpdatePeriod="${LIVE_UPDATE_PERIOD}" timeShiftBufferDepth="${seconds(totalMs)}" suggestedPresentationDelay="PT3S">`
        : `type="static" mediaPresentationDuration="${seconds(totalMs)}">`),
  ];
  // Periods: runs of fragments sharing one session header.
  const runs: Array<{ from: number; to: number }> = [];
  list.forEach((f, k) => {
    if (k === 0 || f.header !== list[k - 1].header) runs.push({ from: k, to: k });
    else runs[runs.length - 1].to = k;
  });
  runs.forEach((run, p) => {
    const head = list[run.from];
    // Static: the presentation starts at the first fragment; dynamic: media time is wall-clock ms since the epoch.
    const periodStart = live ? head.pt : head.pt - first.pt;
    mpd.push(`  <Period id="${p}" start="${seconds(live ? 0 : periodStart)}">`);
    summary.tracks.forEach((track, index) => {
      const trackNumber = index + 1;
      const audio = track.config.kind === 'aac';
      mpd.push(`    <AdaptationSet id="${trackNumber}" contentType="${audio ? 'audio' : 'video'}" mimeType="${audio ? 'audio/mp4' : 'video/mp4'}" segmentAlignment="true" startWithSAP="1">`);
      const attributes = [`id="${trackNumber}"`, `codecs="${track.config.codecString}"`, `bandwidth="${Math.max(1, Math.round(summary.bandwidth))}"`];
      if (!audio && track.width && track.height) attributes.push(`width="${track.width}"`, `height="${track.height}"`);
      if (!audio && summary.frameRate) attributes.push(`frameRate="${Math.round(summary.frameRate * 1000)}/1000"`);
      if (track.config.kind === 'aac') attributes.push(`audioSamplingRate="${track.config.sampleRate}"`);
      mpd.push(`      <Representation ${attributes.join(' ')}>`);
      mpd.push(`        <SegmentList timescale="${TIMESCALE}" presentationTimeOffset="${live ? 0 : head.pt}">`);
      mpd.push(`          <Initialization sourceURL="${escape(`${INIT_FRAGMENT}?SessionToken=${token}&TrackNumber=${trackNumber}&SequenceNumber=${headerSequenceNumber(head.header)}`)}"/>`);
      mpd.push('          <SegmentTimeline>');
      for (let k = run.from; k <= run.to; k++) mpd.push(`            ${segment(session, list[k], Math.round(times[k].seconds * 1000))}`);
      mpd.push('          </SegmentTimeline>');
      for (let k = run.from; k <= run.to; k++) {
        mpd.push(`          <SegmentURL media="${escape(`${MEDIA_FRAGMENT}?FragmentNumber=${list[k].fn}&SessionToken=${token}&TrackNumber=${trackNumber}`)}"/>`);
      }
      mpd.push('        </SegmentList>', '      </Representation>', '    </AdaptationSet>');
    });
    mpd.push('  </Period>');
  });
  mpd.push('</MPD>');
  return `${mpd.join('\n')}\n`;
}

function segment(session: PlaybackSession, fragment: StoredFragment, durationMs: number): string {
  let s = `<S t="${fragment.pt}" d="${durationMs}"`;
  if (session.displayFragmentNumber) s += ` kvs:fn="${fragment.fn}"`;
  // UNVERIFIED format: epoch milliseconds of the selector's timestamp.
  if (session.displayTimestamp) s += ` kvs:ts="${selectorTime(session, fragment)}"`;
  return `${s}/>`;
}
