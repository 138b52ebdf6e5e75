import { MediaFormatError, type MkvTrack } from './matroska.js';

/**
 * The codecs KVS repackages without transcoding (VIDEO-SPEC §5.3, §5.4 track rules): H.264 and
 * H.265 video whose CodecPrivate is the avcC / hvcC record and whose frames are length-prefixed
 * NAL units, and AAC whose CodecPrivate is the AudioSpecificConfig.
 */

/** Matroska codec ids (the docs also spell H.264 `V_MPEG/ISO/AVC`; both are accepted). */
export const H264_CODEC_IDS = new Set(['V_MPEG4/ISO/AVC', 'V_MPEG/ISO/AVC']);
export const H265_CODEC_IDS = new Set(['V_MPEGH/ISO/HEVC']);
export const AAC_CODEC_IDS = new Set(['A_AAC']);

export type CodecKind = 'h264' | 'h265' | 'aac';

export class MissingCodecPrivateError extends Error {}
export class InvalidCodecPrivateError extends Error {}
export class UnsupportedCodecError extends Error {}

export interface AvcConfig {
  kind: 'h264';
  record: Buffer;
  nalLengthSize: number;
  /** SPS, PPS (and for H.265, VPS first) NAL units, each without a length prefix. */
  parameterSets: Buffer[];
  /** RFC 6381 codec string: `avc1.42c01e`. */
  codecString: string;
}

export interface HevcConfig {
  kind: 'h265';
  record: Buffer;
  nalLengthSize: number;
  parameterSets: Buffer[];
  codecString: string;
}

export interface AacConfig {
  kind: 'aac';
  record: Buffer;
  objectType: number;
  sampleRate: number;
  samplingIndex: number;
  channels: number;
  /** PCM samples per AAC frame (1024, or 960 with the frame-length flag). */
  frameSamples: number;
  codecString: string;
}

export type CodecConfig = AvcConfig | HevcConfig | AacConfig;

export interface PlaybackTrack {
  /** The MKV track number (the session's TrackNumber 1 or 2 follows track order, not this). */
  mkvNumber: number;
  config: CodecConfig;
  width: number;
  height: number;
  defaultDurationMs?: number;
}

export function codecKind(codecId: string): CodecKind | undefined {
  if (H264_CODEC_IDS.has(codecId)) return 'h264';
  if (H265_CODEC_IDS.has(codecId)) return 'h265';
  if (AAC_CODEC_IDS.has(codecId)) return 'aac';
  return undefined;
}

/**
 * The tracks a session plays (§5.4 track rules): track 1 is H.264/H.265 video (or AAC for an
 * audio-only stream), an optional track 2 is AAC. Anything else is unsupported.
 */
export function playbackTracks(tracks: MkvTrack[]): PlaybackTrack[] {
  if (tracks.length === 0 || tracks.length > 2) throw new UnsupportedCodecError();
  const out = tracks.map((track, position) => {
    const kind = codecKind(track.codecId);
    if (!kind) throw new UnsupportedCodecError();
    if (position === 1 && kind !== 'aac') throw new UnsupportedCodecError();
    if (!track.codecPrivate || track.codecPrivate.length === 0) throw new MissingCodecPrivateError();
    const config = kind === 'h264' ? parseAvcC(track.codecPrivate) : kind === 'h265' ? parseHvcC(track.codecPrivate) : parseAudioSpecificConfig(track.codecPrivate, track);
    return { mkvNumber: track.number, config, width: track.width ?? 0, height: track.height ?? 0, defaultDurationMs: track.defaultDurationMs };
  });
  return out;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function parseAvcC(record: Buffer): AvcConfig {
  if (record.length < 7 || record[0] !== 1) throw new InvalidCodecPrivateError();
  const nalLengthSize = (record[4] & 3) + 1;
  const parameterSets: Buffer[] = [];
  let i = 5;
  const spsCount = record[i++] & 0x1f;
  for (let n = 0; n < spsCount; n++) {
    if (i + 2 > record.length) throw new InvalidCodecPrivateError();
    const length = record.readUInt16BE(i);
    i += 2;
    if (i + length > record.length) throw new InvalidCodecPrivateError();
    parameterSets.push(record.subarray(i, i + length));
    i += length;
  }
  if (i >= record.length || spsCount === 0) throw new InvalidCodecPrivateError();
  const ppsCount = record[i++];
  for (let n = 0; n < ppsCount; n++) {
    if (i + 2 > record.length) throw new InvalidCodecPrivateError();
    const length = record.readUInt16BE(i);
    i += 2;
    if (i + length > record.length) throw new InvalidCodecPrivateError();
    parameterSets.push(record.subarray(i, i + length));
    i += length;
  }
  if (nalLengthSize === 3) throw new InvalidCodecPrivateError();
  return { kind: 'h264', record, nalLengthSize, parameterSets, codecString: `avc1.${hex2(record[1])}${hex2(record[2])}${hex2(record[3])}` };
}

export function parseHvcC(record: Buffer): HevcConfig {
  if (record.length < 23 || record[0] !== 1) throw new InvalidCodecPrivateError();
  const profileSpace = record[1] >> 6;
  const tierFlag = (record[1] >> 5) & 1;
  const profileIdc = record[1] & 0x1f;
  const compatibility = record.readUInt32BE(2);
  const constraints = record.subarray(6, 12);
  const levelIdc = record[12];
  const nalLengthSize = (record[21] & 3) + 1;
  const parameterSets: Buffer[] = [];
  let i = 23;
  const arrays = record[22];
  for (let a = 0; a < arrays; a++) {
    if (i + 3 > record.length) throw new InvalidCodecPrivateError();
    const count = record.readUInt16BE(i + 1);
    i += 3;
    for (let n = 0; n < count; n++) {
      if (i + 2 > record.length) throw new InvalidCodecPrivateError();
      const length = record.readUInt16BE(i);
      i += 2;
      if (i + length > record.length) throw new InvalidCodecPrivateError();
      parameterSets.push(record.subarray(i, i + length));
      i += length;
    }
  }
  if (nalLengthSize === 3) throw new InvalidCodecPrivateError();
  // ISO/IEC 14496-15 Annex E: the compatibility flags are written bit-reversed, trailing zero bytes of the constraints dropped.
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) if (compatibility & (1 << bit)) reversed |= 1 << (31 - bit);
  const constraintBytes = [...constraints];
  while (constraintBytes.length && constraintBytes[constraintBytes.length - 1] === 0) constraintBytes.pop();
  const space = ['', 'A', 'B', 'C'][profileSpace];
  const codecString = [`hvc1.${space}${profileIdc}`, (reversed >>> 0).toString(16), `${tierFlag ? 'H' : 'L'}${levelIdc}`, ...constraintBytes.map((b) => b.toString(16))].join('.');
  return { kind: 'h265', record, nalLengthSize, parameterSets, codecString };
}

/** ISO/IEC 14496-3 sampling frequency index table. */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export function parseAudioSpecificConfig(record: Buffer, track?: MkvTrack): AacConfig {
  if (record.length < 2) throw new InvalidCodecPrivateError();
  let objectType = record[0] >> 3;
  let bit = 5;
  const bits = (n: number) => {
    let value = 0;
    for (let k = 0; k < n; k++, bit++) {
      if (bit >> 3 >= record.length) throw new InvalidCodecPrivateError();
      value = (value << 1) | ((record[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  if (objectType === 31) objectType = 32 + bits(6);
  const samplingIndex = bits(4);
  const sampleRate = samplingIndex === 15 ? bits(24) : AAC_SAMPLE_RATES[samplingIndex];
  if (!sampleRate) throw new InvalidCodecPrivateError();
  const channels = bits(4) || track?.channels || 2;
  const frameLengthFlag = objectType <= 4 ? bits(1) : 0;
  return {
    kind: 'aac', record, objectType, sampleRate, samplingIndex: samplingIndex === 15 ? AAC_SAMPLE_RATES.indexOf(sampleRate) : samplingIndex,
    channels, frameSamples: frameLengthFlag ? 960 : 1024, codecString: `mp4a.40.${objectType}`,
  };
}

/** A length-prefixed access unit as Annex-B (start codes), for MPEG-TS; parameter sets first when asked. */
export function toAnnexB(frame: Buffer, nalLengthSize: number, prefix: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const set of prefix) parts.push(START_CODE, set);
  let i = 0;
  while (i + nalLengthSize <= frame.length) {
    let length = 0;
    for (let k = 0; k < nalLengthSize; k++) length = length * 256 + frame[i + k];
    i += nalLengthSize;
    if (length === 0 || i + length > frame.length) throw new MediaFormatError('a NAL unit overruns its frame');
    parts.push(START_CODE, frame.subarray(i, i + length));
    i += length;
  }
  return Buffer.concat(parts);
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** An ADTS header (ISO/IEC 13818-7) for one raw AAC frame of `length` bytes. */
export function adtsHeader(config: AacConfig, length: number): Buffer {
  const total = length + 7;
  const profile = Math.min(Math.max(config.objectType - 1, 0), 3);
  const header = Buffer.alloc(7);
  header[0] = 0xff;
  header[1] = 0xf1;
  header[2] = (profile << 6) | ((config.samplingIndex & 0xf) << 2) | ((config.channels >> 2) & 1);
  header[3] = ((config.channels & 3) << 6) | ((total >> 11) & 3);
  header[4] = (total >> 3) & 0xff;
  header[5] = ((total & 7) << 5) | 0x1f;
  header[6] = 0xfc;
  return header;
}
