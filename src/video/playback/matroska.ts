import { BLOCK_GROUP_ID, BLOCK_ID, EBML_ID, INFO_ID, SIMPLE_BLOCK_ID, TRACK_ENTRY_ID, TRACKS_ID } from '../mkv/ids.js';
import { DEFAULT_TIMECODE_SCALE_NS } from '../mkv/header.js';
import { children, readUint, vintLength } from '../mkv/reader.js';

/**
 * What packaging needs out of the stored MKV (VIDEO-SPEC §1 fact 10): the tracks of a session's
 * header (codec id, CodecPrivate, picture size, audio rate) and the frames of a fragment's
 * Cluster bytes (track, time, keyframe flag, payload slice). Payloads are slices of the input:
 * nothing is copied here.
 */

const TRACK_TYPE_ID = 0x83;
const CODEC_ID_ID = 0x86;
const CODEC_PRIVATE_ID = 0x63a2;
const DEFAULT_DURATION_ID = 0x23e383;
const VIDEO_ID = 0xe0;
const PIXEL_WIDTH_ID = 0xb0;
const PIXEL_HEIGHT_ID = 0xba;
const AUDIO_ID = 0xe1;
const SAMPLING_FREQUENCY_ID = 0xb5;
const CHANNELS_ID = 0x9f;
const REFERENCE_BLOCK_ID = 0xfb;
const TRACK_NUMBER_ID = 0xd7;
const TIMECODE_SCALE_ID = 0x2ad7b1;

export class MediaFormatError extends Error {}

export interface MkvTrack {
  number: number;
  /** Matroska TrackType: 1 video, 2 audio. */
  type: number;
  codecId: string;
  codecPrivate?: Buffer;
  /** DefaultDuration in ms, when the producer declared it. */
  defaultDurationMs?: number;
  width?: number;
  height?: number;
  samplingFrequency?: number;
  channels?: number;
}

export interface MkvHeaderInfo {
  /** Nanoseconds per timecode tick. */
  timecodeScaleNs: number;
  tracks: MkvTrack[];
}

/** Top-level elements of a buffer holding whole elements back to back. */
function elements(buffer: Buffer): Array<{ id: number; raw: Buffer }> {
  const out: Array<{ id: number; raw: Buffer }> = [];
  let i = 0;
  while (i < buffer.length) {
    const idLength = vintLength(buffer[i]);
    if (idLength === 0 || idLength > 4 || i + idLength >= buffer.length) throw new MediaFormatError('invalid element in the MKV header');
    let id = 0;
    for (let k = 0; k < idLength; k++) id = id * 256 + buffer[i + k];
    const sizeLength = vintLength(buffer[i + idLength]);
    if (sizeLength === 0 || sizeLength > 8) throw new MediaFormatError('invalid element size in the MKV header');
    const size = readUint(buffer, i + idLength, sizeLength) - (0x80 >> (sizeLength - 1)) * 256 ** (sizeLength - 1);
    const end = i + idLength + sizeLength + size;
    if (end > buffer.length) throw new MediaFormatError('an element overruns the MKV header');
    out.push({ id, raw: buffer.subarray(i, end) });
    i = end;
  }
  return out;
}

/** The tracks and timecode scale of a stored session header (EBML header, then the Segment's children). */
export function parseHeader(header: Buffer, ebmlLength: number): MkvHeaderInfo {
  let timecodeScaleNs = DEFAULT_TIMECODE_SCALE_NS;
  const tracks: MkvTrack[] = [];
  for (const element of elements(header.subarray(ebmlLength))) {
    if (element.id === EBML_ID) continue;
    if (element.id === INFO_ID) {
      for (const child of children(element.raw)) if (child.id === TIMECODE_SCALE_ID) timecodeScaleNs = readUint(child.body, 0, child.body.length) || DEFAULT_TIMECODE_SCALE_NS;
    }
    if (element.id !== TRACKS_ID) continue;
    for (const entry of children(element.raw)) {
      if (entry.id !== TRACK_ENTRY_ID) continue;
      const track: MkvTrack = { number: 0, type: 0, codecId: '' };
      for (const field of children(entry.raw)) {
        const uint = () => readUint(field.body, 0, field.body.length);
        if (field.id === TRACK_NUMBER_ID) track.number = uint();
        else if (field.id === TRACK_TYPE_ID) track.type = uint();
        else if (field.id === CODEC_ID_ID) track.codecId = field.body.toString('latin1').replace(/\0+$/, '');
        else if (field.id === CODEC_PRIVATE_ID) track.codecPrivate = Buffer.from(field.body);
        else if (field.id === DEFAULT_DURATION_ID) track.defaultDurationMs = uint() / 1e6;
        else if (field.id === VIDEO_ID) {
          for (const v of children(field.raw)) {
            if (v.id === PIXEL_WIDTH_ID) track.width = readUint(v.body, 0, v.body.length);
            if (v.id === PIXEL_HEIGHT_ID) track.height = readUint(v.body, 0, v.body.length);
          }
        } else if (field.id === AUDIO_ID) {
          for (const a of children(field.raw)) {
            if (a.id === SAMPLING_FREQUENCY_ID) track.samplingFrequency = a.body.length === 4 ? a.body.readFloatBE(0) : a.body.length === 8 ? a.body.readDoubleBE(0) : undefined;
            if (a.id === CHANNELS_ID) track.channels = readUint(a.body, 0, a.body.length);
          }
        }
      }
      tracks.push(track);
    }
  }
  return { timecodeScaleNs, tracks };
}

export interface Frame {
  track: number;
  /** Time relative to the Cluster's Timecode, in ms. */
  relativeMs: number;
  keyframe: boolean;
  data: Buffer;
}

/**
 * A fragment's Cluster bytes as the store holds them: consecutive chunks. Frames inside one chunk
 * are slices of it; only a frame that straddles two chunks is copied.
 */
export class ChunkedBytes {
  readonly length: number;
  private readonly starts: number[] = [];

  constructor(private readonly chunks: Buffer[]) {
    let at = 0;
    for (const chunk of chunks) {
      this.starts.push(at);
      at += chunk.length;
    }
    this.length = at;
  }

  private chunkOf(offset: number): number {
    let k = this.chunks.length - 1;
    while (k > 0 && this.starts[k] > offset) k--;
    return k;
  }

  at(offset: number): number {
    const k = this.chunkOf(offset);
    return this.chunks[k][offset - this.starts[k]];
  }

  slice(from: number, to: number): Buffer {
    const k = this.chunkOf(from);
    const local = from - this.starts[k];
    if (to - this.starts[k] <= this.chunks[k].length) return this.chunks[k].subarray(local, to - this.starts[k]);
    const out = Buffer.allocUnsafe(to - from);
    let written = 0;
    for (let c = k; written < out.length; c++) {
      const begin = c === k ? local : 0;
      written += this.chunks[c].copy(out, written, begin, Math.min(this.chunks[c].length, begin + out.length - written));
    }
    return out;
  }
}

/**
 * The frames of a fragment: its stored Cluster children (Timecode, SimpleBlocks, BlockGroups…).
 * Laced blocks (which video producers do not write) are refused as invalid frames.
 */
export function parseClusterFrames(cluster: Buffer | ChunkedBytes, timecodeScaleNs: number): Frame[] {
  const bytes = Buffer.isBuffer(cluster) ? new ChunkedBytes([cluster]) : cluster;
  const frames: Frame[] = [];
  const msPerTick = timecodeScaleNs / 1e6;
  const uint = (at: number, length: number) => {
    let value = 0;
    for (let k = 0; k < length; k++) value = value * 256 + bytes.at(at + k);
    return value;
  };
  const walk = (start: number, end: number, inGroup: { keyframe: boolean; block?: Frame } | undefined) => {
    let i = start;
    while (i < end) {
      const idLength = vintLength(bytes.at(i));
      if (idLength === 0 || idLength > 4 || i + idLength >= end) throw new MediaFormatError('invalid element in a fragment');
      const id = uint(i, idLength);
      const sizeLength = vintLength(bytes.at(i + idLength));
      if (sizeLength === 0 || sizeLength > 8) throw new MediaFormatError('invalid element size in a fragment');
      const size = uint(i + idLength, sizeLength) - (0x80 >> (sizeLength - 1)) * 256 ** (sizeLength - 1);
      const body = i + idLength + sizeLength;
      if (body + size > end) throw new MediaFormatError('an element overruns its fragment');
      if (id === SIMPLE_BLOCK_ID || id === BLOCK_ID) {
        const trackLength = vintLength(bytes.at(body));
        if (trackLength === 0 || trackLength > 8 || size < trackLength + 3) throw new MediaFormatError('invalid block header');
        const track = uint(body, trackLength) - (0x80 >> (trackLength - 1)) * 256 ** (trackLength - 1);
        const raw = uint(body + trackLength, 2);
        const relative = raw >= 0x8000 ? raw - 0x10000 : raw;
        const flags = bytes.at(body + trackLength + 2);
        if (flags & 0x06) throw new MediaFormatError('laced blocks are not supported');
        const frame: Frame = {
          track,
          relativeMs: relative * msPerTick,
          keyframe: id === SIMPLE_BLOCK_ID ? (flags & 0x80) !== 0 : true,
          data: bytes.slice(body + trackLength + 3, body + size),
        };
        if (inGroup) inGroup.block = frame;
        else frames.push(frame);
      } else if (id === BLOCK_GROUP_ID) {
        const group: { keyframe: boolean; block?: Frame } = { keyframe: true };
        walk(body, body + size, group);
        if (group.block) frames.push({ ...group.block, keyframe: group.keyframe });
      } else if (id === REFERENCE_BLOCK_ID && inGroup) {
        inGroup.keyframe = false;
      }
      i = body + size;
    }
  };
  walk(0, bytes.length, undefined);
  return frames;
}
