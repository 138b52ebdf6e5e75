import type { AacConfig, PlaybackTrack } from './codecs.js';

/**
 * ISO BMFF boxes (ISO/IEC 14496-12, -14, -15) for HLS/DASH fMP4 segments and GetClip's MP4: only
 * the boxes a player needs, each written once here and checked by ffprobe in the tests.
 */

export function box(type: string, ...payload: Buffer[]): Buffer {
  let size = 8;
  for (const p of payload) size += p.length;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, ...payload], size);
}

function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...payload);
}

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, k) => out.writeUInt32BE(v >>> 0, k * 4));
  return out;
}

function u64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.round(value))));
  return out;
}

const UNITY_MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/** Media timescales: 90 kHz for video (as MPEG-TS), the sample rate for AAC (one tick per PCM sample). */
export function timescaleOf(track: PlaybackTrack): number {
  return track.config.kind === 'aac' ? track.config.sampleRate : 90_000;
}

/** Movie timescale (mvhd): milliseconds, the unit of KVS timestamps. */
const MOVIE_TIMESCALE = 1000;

export function ftyp(fragmented: boolean): Buffer {
  const brands = fragmented ? ['iso6', 'iso6', 'mp41', 'dash', 'avc1'] : ['isom', 'isom', 'iso2', 'avc1', 'mp41'];
  const payload = Buffer.alloc(4 + 4 * brands.length);
  payload.write(brands[0], 0, 'latin1');
  payload.writeUInt32BE(fragmented ? 0 : 512, 4);
  brands.slice(1).forEach((b, k) => payload.write(b, 8 + k * 4, 'latin1'));
  return box('ftyp', payload);
}

function mvhd(durationMs: number, nextTrackId: number): Buffer {
  return fullBox('mvhd', 0, 0, u32(0, 0, MOVIE_TIMESCALE, Math.round(durationMs)), u32(0x00010000), Buffer.from([0x01, 0x00, 0, 0]), Buffer.alloc(8), UNITY_MATRIX, Buffer.alloc(24), u32(nextTrackId));
}

function tkhd(track: PlaybackTrack, trackId: number, durationMs: number): Buffer {
  const audio = track.config.kind === 'aac';
  const volume = Buffer.from([audio ? 0x01 : 0, 0, 0, 0]);
  return fullBox('tkhd', 0, 3, u32(0, 0, trackId, 0, Math.round(durationMs)), Buffer.alloc(8), Buffer.alloc(4), volume, UNITY_MATRIX, u32(track.width * 0x10000, track.height * 0x10000));
}

function mdhd(timescale: number, duration: number): Buffer {
  return fullBox('mdhd', 0, 0, u32(0, 0, timescale, Math.round(duration)), Buffer.from([0x55, 0xc4, 0, 0]));
}

function hdlr(audio: boolean): Buffer {
  const name = Buffer.from(audio ? 'SoundHandler\0' : 'VideoHandler\0', 'latin1');
  const type = Buffer.from(audio ? 'soun' : 'vide', 'latin1');
  return fullBox('hdlr', 0, 0, u32(0), type, Buffer.alloc(12), name);
}

function descriptor(tag: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  // The 4-byte size form, as most muxers write it.
  const size = Buffer.from([0x80 | ((body.length >> 21) & 0x7f), 0x80 | ((body.length >> 14) & 0x7f), 0x80 | ((body.length >> 7) & 0x7f), body.length & 0x7f]);
  return Buffer.concat([Buffer.from([tag]), size, body]);
}

function esds(config: AacConfig, trackId: number): Buffer {
  const decoderConfig = descriptor(
    0x04,
    Buffer.from([0x40, 0x15, 0, 0, 0]), // MPEG-4 audio, AudioStream, buffer size 0
    u32(0, 0),
    descriptor(0x05, config.record),
  );
  const es = descriptor(0x03, Buffer.from([(trackId >> 8) & 0xff, trackId & 0xff, 0]), decoderConfig, descriptor(0x06, Buffer.from([0x02])));
  return fullBox('esds', 0, 0, es);
}

function sampleEntry(track: PlaybackTrack, trackId: number): Buffer {
  const config = track.config;
  if (config.kind === 'aac') {
    const entry = Buffer.alloc(28);
    entry.writeUInt16BE(1, 6); // data_reference_index
    entry.writeUInt16BE(config.channels, 16);
    entry.writeUInt16BE(16, 18);
    entry.writeUInt32BE(config.sampleRate < 65536 ? config.sampleRate * 65536 : 0, 24);
    return box('mp4a', entry, esds(config, trackId));
  }
  const entry = Buffer.alloc(78);
  entry.writeUInt16BE(1, 6);
  entry.writeUInt16BE(track.width, 24);
  entry.writeUInt16BE(track.height, 26);
  entry.writeUInt32BE(0x00480000, 28);
  entry.writeUInt32BE(0x00480000, 32);
  entry.writeUInt16BE(1, 40); // frame_count
  entry.writeUInt16BE(0x0018, 74);
  entry.writeInt16BE(-1, 76);
  return config.kind === 'h264' ? box('avc1', entry, box('avcC', config.record)) : box('hvc1', entry, box('hvcC', config.record));
}

export interface SampleTables {
  /** Per-sample decode durations, sizes, composition offsets and sync flags, in the track's timescale. */
  durations: number[];
  sizes: number[];
  offsets: number[];
  sync: boolean[];
  /** Chunks: sample count and file offset of each. */
  chunks: Array<{ samples: number; offset: number }>;
}

function stbl(track: PlaybackTrack, trackId: number, tables?: SampleTables): Buffer {
  const stsd = fullBox('stsd', 0, 0, u32(1), sampleEntry(track, trackId));
  if (!tables) return box('stbl', stsd, fullBox('stts', 0, 0, u32(0)), fullBox('stsc', 0, 0, u32(0)), fullBox('stsz', 0, 0, u32(0, 0)), fullBox('stco', 0, 0, u32(0)));
  const runs: number[] = [];
  for (const d of tables.durations) {
    if (runs.length && runs[runs.length - 1] === d) runs[runs.length - 2]++;
    else runs.push(1, d);
  }
  const parts = [stsd, fullBox('stts', 0, 0, u32(runs.length / 2, ...runs))];
  if (tables.offsets.some((o) => o !== 0)) {
    const ctts: number[] = [];
    for (const o of tables.offsets) {
      if (ctts.length && ctts[ctts.length - 1] === o) ctts[ctts.length - 2]++;
      else ctts.push(1, o);
    }
    const payload = Buffer.alloc(4 + ctts.length * 4);
    payload.writeUInt32BE(ctts.length / 2, 0);
    for (let k = 0; k < ctts.length; k += 2) {
      payload.writeUInt32BE(ctts[k], 4 + k * 4);
      payload.writeInt32BE(ctts[k + 1], 8 + k * 4);
    }
    parts.push(fullBox('ctts', 1, 0, payload));
  }
  if (track.config.kind !== 'aac' && tables.sync.some((s) => !s)) {
    const numbers = tables.sync.flatMap((s, k) => (s ? [k + 1] : []));
    parts.push(fullBox('stss', 0, 0, u32(numbers.length, ...numbers)));
  }
  const stsc: number[] = [];
  tables.chunks.forEach((chunk, k) => {
    if (stsc.length === 0 || stsc[stsc.length - 2] !== chunk.samples) stsc.push(k + 1, chunk.samples, 1);
  });
  parts.push(fullBox('stsc', 0, 0, u32(stsc.length / 3, ...stsc)));
  parts.push(fullBox('stsz', 0, 0, u32(0, tables.sizes.length, ...tables.sizes)));
  parts.push(fullBox('stco', 0, 0, u32(tables.chunks.length, ...tables.chunks.map((c) => c.offset))));
  return box('stbl', ...parts);
}

function trak(track: PlaybackTrack, trackId: number, durationMs: number, tables?: SampleTables): Buffer {
  const audio = track.config.kind === 'aac';
  const timescale = timescaleOf(track);
  const mediaDuration = tables ? tables.durations.reduce((a, b) => a + b, 0) : 0;
  const header = audio ? fullBox('smhd', 0, 0, Buffer.alloc(4)) : fullBox('vmhd', 0, 1, Buffer.alloc(8));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  return box('trak', tkhd(track, trackId, durationMs), box('mdia', mdhd(timescale, mediaDuration), hdlr(audio), box('minf', header, dinf, stbl(track, trackId, tables))));
}

/** An fMP4 initialization segment for one track (ftyp + moov with mvex), track_ID = the session's TrackNumber. */
export function initSegment(track: PlaybackTrack, trackId: number): Buffer {
  const trex = fullBox('trex', 0, 0, u32(trackId, 1, 0, 0, 0));
  return Buffer.concat([ftyp(true), box('moov', mvhd(0, trackId + 1), trak(track, trackId, 0), box('mvex', trex))]);
}

/** A non-fragmented movie's moov (GetClip), tracks numbered from 1 in order. */
export function movieBox(tracks: PlaybackTrack[], tables: SampleTables[], durationMs: number): Buffer {
  return box('moov', mvhd(durationMs, tracks.length + 1), ...tracks.map((track, k) => trak(track, k + 1, durationMs, tables[k])));
}

export interface FragmentSample {
  duration: number;
  size: number;
  compositionOffset: number;
  sync: boolean;
}

const SYNC_SAMPLE_FLAGS = 0x02000000;
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

/**
 * A media segment's moof for one track; `mdat` (header + payloads) follows it. The data offset
 * points just past the moof and the mdat header (tfhd default-base-is-moof).
 */
export function movieFragment(trackId: number, sequence: number, baseDecodeTime: number, samples: FragmentSample[]): Buffer {
  const mfhd = fullBox('mfhd', 0, 0, u32(sequence));
  const tfhd = fullBox('tfhd', 0, 0x020000, u32(trackId));
  const tfdt = fullBox('tfdt', 1, 0, u64(baseDecodeTime));
  const trunFlags = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
  const table = Buffer.alloc(8 + samples.length * 16);
  table.writeUInt32BE(samples.length, 0);
  samples.forEach((s, k) => {
    const at = 8 + k * 16;
    table.writeUInt32BE(Math.max(0, s.duration), at);
    table.writeUInt32BE(s.size, at + 4);
    table.writeUInt32BE(s.sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, at + 8);
    table.writeInt32BE(s.compositionOffset, at + 12);
  });
  const trunSize = 12 + table.length;
  const moofSize = 8 + mfhd.length + 8 + tfhd.length + tfdt.length + trunSize;
  table.writeInt32BE(moofSize + 8, 4);
  const trun = fullBox('trun', 1, trunFlags, table);
  return box('moof', mfhd, box('traf', tfhd, tfdt, trun));
}

export function mdatHeader(payloadBytes: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(payloadBytes + 8, 0);
  head.write('mdat', 4, 'latin1');
  return head;
}
