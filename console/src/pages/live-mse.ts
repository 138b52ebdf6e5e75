/**
 * The video page's player wherever the browser has Media Source Extensions (all but iOS Safari): it reads a
 * Millrace LIVE session's playlists itself and appends the fMP4 init segment and each new media
 * fragment to Media Source buffers. Only what Millrace's LIVE fMP4 sessions are (one variant, its
 * audio as one EXT-X-MEDIA rendition, EXT-X-MAP init segments; VIDEO-SPEC §4) — not a general HLS
 * player, which would be hls.js at several times the whole console's size budget.
 */

export interface LivePlayback {
  stop(): void;
}

/** The buffer kept behind the playhead; older media is removed so a long watch stays bounded. */
const KEEP_BEHIND_SECONDS = 30;
/** Playlist polls at least this far apart, else every half target duration (HLS: reload at most every target duration). */
const MIN_POLL_MS = 500;

const attribute = (line: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(line)?.[1] ?? new RegExp(`${name}=([^,]*)`).exec(line)?.[1];

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
  return response;
}

const once = (target: EventTarget, event: string) => new Promise<void>((resolve) => target.addEventListener(event, () => resolve(), { once: true }));

const mp4 = (codecs: string[]) => `${codecs[0]?.startsWith('mp4a') ? 'audio' : 'video'}/mp4; codecs="${codecs.join(',')}"`;

/**
 * One rendition's media playlist polled until it ends (EXT-X-ENDLIST) or the player stops: its init
 * segment, then each fragment not appended before, into `buffer`.
 */
async function feed(mediaUrl: string, buffer: SourceBuffer, stopped: () => boolean, appendedSome: () => void, video: HTMLVideoElement): Promise<void> {
  const append = async (data: ArrayBuffer) => {
    buffer.appendBuffer(data);
    await once(buffer, 'updateend');
  };
  let init: string | undefined;
  let appended = new Set<string>();
  while (!stopped()) {
    const lines = (await (await fetchOk(mediaUrl)).text()).split('\n').map((l) => l.trim());
    const target = Number(lines.find((l) => l.startsWith('#EXT-X-TARGETDURATION:'))?.split(':')[1] ?? 1);
    const inPlaylist = new Set<string>();
    for (const line of lines) {
      if (stopped()) return;
      if (line.startsWith('#EXT-X-MAP:')) {
        // A new init segment (the producer's codec data changed) goes in before the fragments after it.
        const map = new URL(attribute(line, 'URI') ?? '', mediaUrl).href;
        if (map !== init) {
          await append(await (await fetchOk(map)).arrayBuffer());
          init = map;
        }
      } else if (line && !line.startsWith('#')) {
        const fragment = new URL(line, mediaUrl).href;
        inPlaylist.add(fragment);
        if (appended.has(fragment)) continue;
        await append(await (await fetchOk(fragment)).arrayBuffer());
        appended.add(fragment);
        appendedSome();
      }
    }
    // Fragments that left the live window are forgotten: the set stays the playlist's size.
    appended = new Set([...appended].filter((f) => inPlaylist.has(f)));
    const behind = video.currentTime - KEEP_BEHIND_SECONDS;
    if (behind > 0 && buffer.buffered.length > 0 && buffer.buffered.start(0) < behind) {
      buffer.remove(0, behind);
      await once(buffer, 'updateend');
    }
    if (lines.includes('#EXT-X-ENDLIST')) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_POLL_MS, target * 500)));
  }
}

export function playLiveHls(video: HTMLVideoElement, masterUrl: string, onError: (message: string) => void): LivePlayback {
  let stopped = false;
  let objectUrl: string | undefined;
  const run = async () => {
    const master = (await (await fetchOk(masterUrl)).text()).split('\n').map((l) => l.trim());
    const inf = master.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    const mediaLine = master.slice(inf + 1).find((l) => l && !l.startsWith('#'));
    if (inf < 0 || !mediaLine) throw new Error('the master playlist names no media playlist');
    // Video in the variant's playlist, audio (when there is any) in its EXT-X-MEDIA rendition, as AWS
    // splits them (TrackNumber 1 and 2): one source buffer each.
    const codecs = (attribute(master[inf]!, 'CODECS') ?? 'avc1.42E01E').split(',').map((c) => c.trim());
    const audioLine = master.find((l) => l.startsWith('#EXT-X-MEDIA:') && /TYPE=AUDIO/.test(l));
    const renditions = [{ url: new URL(mediaLine, masterUrl).href, codecs: codecs.filter((c) => !c.startsWith('mp4a')) }];
    const audioCodecs = codecs.filter((c) => c.startsWith('mp4a'));
    const audioUri = audioLine && attribute(audioLine, 'URI');
    if (audioUri && audioCodecs.length > 0) renditions.push({ url: new URL(audioUri, masterUrl).href, codecs: audioCodecs });
    if (typeof MediaSource === 'undefined') throw new Error('this browser has no Media Source Extensions');
    for (const r of renditions) {
      if (!MediaSource.isTypeSupported(mp4(r.codecs))) throw new Error(`this browser cannot play ${r.codecs.join(',')} through Media Source Extensions`);
    }
    const source = new MediaSource();
    objectUrl = URL.createObjectURL(source);
    video.src = objectUrl;
    await once(source, 'sourceopen');
    // Every buffer is added before any data goes in (MSE takes no new buffer once media has metadata).
    const buffers = renditions.map((r) => source.addSourceBuffer(mp4(r.codecs)));
    let started = false;
    const startWhenReady = () => {
      if (started || video.buffered.length === 0) return;
      started = true;
      video.currentTime = video.buffered.start(0);
      video.play().catch((err: Error) => onError(err.message));
    };
    await Promise.all(renditions.map((r, i) => feed(r.url, buffers[i]!, () => stopped, startWhenReady, video)));
    if (!stopped && source.readyState === 'open') source.endOfStream();
  };
  // The element's own error (media it cannot decode) says more than the append that fails after it.
  let mediaError: string | undefined;
  const onMediaError = () => {
    mediaError = `${video.error?.message || 'media error'} (code ${video.error?.code})`;
    if (!stopped) onError(mediaError);
  };
  video.addEventListener('error', onMediaError);
  run().catch((err: Error) => {
    if (!stopped && !mediaError) onError(err.message);
  });
  return {
    stop() {
      stopped = true;
      video.removeEventListener('error', onMediaError);
      video.removeAttribute('src');
      video.load();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    },
  };
}
