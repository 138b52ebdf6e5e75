import { BLOCK_GROUP_ID, BLOCK_ID, INFO_ID, TRACK_ENTRY_ID, TRACK_NUMBER_ID, TRACKS_ID, SIMPLE_BLOCK_ID } from '../mkv/ids.js';
import { DEFAULT_TIMECODE_SCALE_NS, timecodeScale } from '../mkv/header.js';
import { children, readUint, vintLength } from '../mkv/reader.js';

/**
 * What GetImages needs from stored MKV (VIDEO-SPEC §5.6, §1 fact 10): the video track of a
 * session header (codec and CodecPrivate), the key frames of a fragment's Cluster, and a key frame
 * as a self-contained Annex-B access unit (parameter sets first) for a decoder reading a raw
 * elementary stream.
 */

const CODEC_ID = 0x86;
const TRACK_TYPE = 0x83;
const CODEC_PRIVATE = 0x63a2;
const REFERENCE_BLOCK = 0xfb;
const VIDEO_TRACK_TYPE = 1;

/** Matroska codec ids of the video codecs GetImages decodes (H.264 and H.265, §5.3's track rules). */
export const H264_CODEC_ID = 'V_MPEG4/ISO/AVC';
export const H265_CODEC_ID = 'V_MPEGH/ISO/HEVC';

export type VideoCodec = 'h264' | 'hevc';

export interface VideoTrack {
  number: number;
  codec: VideoCodec;
  /** Parameter sets (SPS/PPS, and VPS for H.265) in Annex-B form, put before every key frame. */
  parameterSets: Buffer;
  /** Bytes of each NAL unit's length prefix in blocks (avcC/hvcC lengthSizeMinusOne + 1). */
  lengthSize: number;
  /** Nanoseconds per Cluster/Block timecode tick. */
  timecodeScaleNs: number;
}

/** Why a stream's media cannot become images (logged; the API only says MEDIA_ERROR). */
export class MediaProblem extends Error {}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** Top-level elements of a buffer holding whole elements one after another (a session header). */
function topLevel(data: Buffer): Array<{ id: number; raw: Buffer }> {
  const out: Array<{ id: number; raw: Buffer }> = [];
  let i = 0;
  while (i < data.length) {
    const il = vintLength(data[i]);
    if (il === 0 || il > 4 || i + il >= data.length) break;
    const id = readUint(data, i, il);
    const sl = vintLength(data[i + il]);
    if (sl === 0 || sl > 8) break;
    const sizeAt = i + il;
    let size = data[sizeAt] & (0xff >> sl);
    for (let k = 1; k < sl; k++) size = size * 256 + data[sizeAt + k];
    const bodyAt = sizeAt + sl;
    // The unknown-size Segment is not in a stored header; anything unsized ends the walk.
    if (bodyAt + size > data.length) break;
    out.push({ id, raw: data.subarray(i, bodyAt + size) });
    i = bodyAt + size;
  }
  return out;
}

/** The first video track of a session's MKV header; MediaProblem when there is none GetImages can decode. */
export function videoTrackOf(header: Buffer, ebmlLength: number): VideoTrack {
  let scale = DEFAULT_TIMECODE_SCALE_NS;
  let tracks: Buffer | undefined;
  for (const element of topLevel(header.subarray(ebmlLength))) {
    if (element.id === INFO_ID) scale = timecodeScale(element.raw);
    else if (element.id === TRACKS_ID) tracks = element.raw;
  }
  if (!tracks) throw new MediaProblem('the stream header has no Tracks element');
  for (const entry of children(tracks)) {
    if (entry.id !== TRACK_ENTRY_ID) continue;
    let number = 0;
    let type = 0;
    let codecId = '';
    let codecPrivate: Buffer | undefined;
    for (const field of children(entry.raw)) {
      if (field.id === TRACK_NUMBER_ID) number = readUint(field.body, 0, field.body.length);
      else if (field.id === TRACK_TYPE) type = readUint(field.body, 0, field.body.length);
      else if (field.id === CODEC_ID) codecId = field.body.toString('latin1').replace(/\0+$/, '');
      else if (field.id === CODEC_PRIVATE) codecPrivate = field.body;
    }
    const codec = codecId === H264_CODEC_ID || codecId === 'V_MPEG/ISO/AVC' ? 'h264' : codecId === H265_CODEC_ID ? 'hevc' : undefined;
    if (!codec) {
      if (type === VIDEO_TRACK_TYPE) throw new MediaProblem(`video codec ${codecId} cannot be decoded to images`);
      continue;
    }
    if (!codecPrivate) throw new MediaProblem(`the ${codecId} track has no CodecPrivate`);
    const { parameterSets, lengthSize } = codec === 'h264' ? fromAvcC(codecPrivate) : fromHvcC(codecPrivate);
    return { number, codec, parameterSets, lengthSize, timecodeScaleNs: scale };
  }
  throw new MediaProblem('the stream has no video track');
}

/** ISO 14496-15 §5.3.3: AVCDecoderConfigurationRecord → Annex-B SPS and PPS. */
function fromAvcC(record: Buffer): { parameterSets: Buffer; lengthSize: number } {
  if (record.length < 7 || record[0] !== 1) throw new MediaProblem('invalid avcC CodecPrivate');
  const lengthSize = (record[4] & 3) + 1;
  const parts: Buffer[] = [];
  let at = 5;
  for (const countMask of [0x1f, 0xff]) {
    if (at >= record.length) throw new MediaProblem('invalid avcC CodecPrivate');
    const count = record[at++] & countMask;
    for (let n = 0; n < count; n++) {
      if (at + 2 > record.length) throw new MediaProblem('invalid avcC CodecPrivate');
      const length = record.readUInt16BE(at);
      at += 2;
      if (at + length > record.length) throw new MediaProblem('invalid avcC CodecPrivate');
      parts.push(START_CODE, record.subarray(at, at + length));
      at += length;
    }
  }
  return { parameterSets: Buffer.concat(parts), lengthSize };
}

/** ISO 14496-15 §8.3.3: HEVCDecoderConfigurationRecord → Annex-B VPS, SPS, PPS (and SEI). */
function fromHvcC(record: Buffer): { parameterSets: Buffer; lengthSize: number } {
  if (record.length < 23) throw new MediaProblem('invalid hvcC CodecPrivate');
  const lengthSize = (record[21] & 3) + 1;
  const arrays = record[22];
  const parts: Buffer[] = [];
  let at = 23;
  for (let a = 0; a < arrays; a++) {
    if (at + 3 > record.length) throw new MediaProblem('invalid hvcC CodecPrivate');
    const count = record.readUInt16BE(at + 1);
    at += 3;
    for (let n = 0; n < count; n++) {
      if (at + 2 > record.length) throw new MediaProblem('invalid hvcC CodecPrivate');
      const length = record.readUInt16BE(at);
      at += 2;
      if (at + length > record.length) throw new MediaProblem('invalid hvcC CodecPrivate');
      parts.push(START_CODE, record.subarray(at, at + length));
      at += length;
    }
  }
  return { parameterSets: Buffer.concat(parts), lengthSize };
}

export interface KeyFrame {
  /** Offset from the Cluster's timecode, in ms. */
  offsetMs: number;
  /** The block's payload: length-prefixed NAL units. */
  data: Buffer;
}

/**
 * The key frames of the video track in a Cluster body (the fragment's media), in order. A
 * SimpleBlock is a key frame when its flag says so; a BlockGroup when it references no other block.
 */
export function keyFramesOf(clusterBody: Buffer, track: VideoTrack): KeyFrame[] {
  // children() takes a whole element: give the body a master header of the right size.
  const whole = Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75]), sizeVint(clusterBody.length), clusterBody]);
  const frames: Array<{ tc: number; data: Buffer }> = [];
  for (const child of children(whole)) {
    if (child.id === SIMPLE_BLOCK_ID) {
      const block = parseBlock(child.body, track.number);
      if (block && block.flags & 0x80) frames.push(block);
    } else if (child.id === BLOCK_GROUP_ID) {
      let block: ReturnType<typeof parseBlock>;
      let referenced = false;
      for (const part of children(child.raw)) {
        if (part.id === BLOCK_ID) block = parseBlock(part.body, track.number);
        else if (part.id === REFERENCE_BLOCK) referenced = true;
      }
      if (block && !referenced) frames.push(block);
    }
  }
  const msPerTick = track.timecodeScaleNs / 1e6;
  // Block timecodes are relative to the Cluster's; the Cluster's is where the fragment starts.
  return frames.map((f) => ({ offsetMs: f.tc * msPerTick, data: f.data })).filter((f) => Number.isFinite(f.offsetMs));
}

/** A block of `track` without lacing: its relative timecode, flags and payload. */
function parseBlock(body: Buffer, track: number): { tc: number; flags: number; data: Buffer } | undefined {
  const tl = vintLength(body[0]);
  if (tl === 0 || body.length < tl + 3) return undefined;
  const number = readUint(body, 0, tl) - (0x80 >> (tl - 1)) * 256 ** (tl - 1);
  if (number !== track) return undefined;
  const flags = body[tl + 2];
  // Laced video blocks are not written by any producer in use (§3.2); skip them rather than misread.
  if (flags & 0x06) return undefined;
  return { tc: body.readInt16BE(tl), flags, data: body.subarray(tl + 3) };
}

function sizeVint(size: number): Buffer {
  const out = Buffer.alloc(8);
  out[0] = 0x01;
  out.writeUIntBE(size, 2, 6);
  return out;
}

/** A key frame as one Annex-B access unit: parameter sets, then its NAL units with start codes. */
export function annexB(track: VideoTrack, frame: Buffer): Buffer {
  const parts: Buffer[] = [track.parameterSets];
  let at = 0;
  while (at + track.lengthSize <= frame.length) {
    const length = frame.readUIntBE(at, track.lengthSize);
    at += track.lengthSize;
    if (length === 0 || at + length > frame.length) throw new MediaProblem('a NAL unit overruns its frame');
    parts.push(START_CODE, frame.subarray(at, at + length));
    at += length;
  }
  if (parts.length === 1) throw new MediaProblem('a key frame holds no NAL unit');
  return Buffer.concat(parts);
}
