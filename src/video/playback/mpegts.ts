import { adtsHeader, toAnnexB, type PlaybackTrack } from './codecs.js';
import type { TrackRun } from './timing.js';

/**
 * MPEG-TS segments for HLS `MPEG_TS` (ISO/IEC 13818-1; VIDEO-SPEC §9.1 item 10): one segment per
 * KVS fragment carrying all its tracks, PAT and PMT first, H.264/H.265 as Annex-B with an access
 * unit delimiter (H.264) and the parameter sets before every IDR, AAC as ADTS, PES per frame
 * with PTS/DTS, PCR on the video PID, 188-byte packets.
 */

const PACKET = 188;
const PAT_PID = 0;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x100;
const AUDIO_PID = 0x101;
const PROGRAM_NUMBER = 1;
const STREAM_TYPE = { h264: 0x1b, h265: 0x24, aac: 0x0f } as const;
const STREAM_ID = { video: 0xe0, audio: 0xc0 } as const;
/** PCR runs this far (90 kHz ticks) ahead of the decode times it announces, as muxers do. */
const PCR_LEAD = 9000;
const WRAP_33 = 2 ** 33;
const H264_AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
const H265_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** A PSI section (PAT/PMT) in one packet. */
function psiPacket(pid: number, tableId: number, idExtension: number, body: Buffer): Buffer {
  const sectionLength = 5 + body.length + 4;
  const section = Buffer.alloc(3 + sectionLength);
  section[0] = tableId;
  section.writeUInt16BE(0xb000 | sectionLength, 1);
  section.writeUInt16BE(idExtension, 3);
  section[5] = 0xc1; // version 0, current
  section[6] = 0;
  section[7] = 0;
  body.copy(section, 8);
  section.writeUInt32BE(crc32(section.subarray(0, section.length - 4)), section.length - 4);
  const packet = Buffer.alloc(PACKET, 0xff);
  packet[0] = 0x47;
  packet.writeUInt16BE(0x4000 | pid, 1);
  packet[3] = 0x10;
  packet[4] = 0; // pointer field
  section.copy(packet, 5);
  return packet;
}

function pat(): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(PROGRAM_NUMBER, 0);
  body.writeUInt16BE(0xe000 | PMT_PID, 2);
  return psiPacket(PAT_PID, 0x00, 1, body);
}

function pmt(streams: Array<{ type: number; pid: number }>, pcrPid: number): Buffer {
  const body = Buffer.alloc(4 + streams.length * 5);
  body.writeUInt16BE(0xe000 | pcrPid, 0);
  body.writeUInt16BE(0xf000, 2);
  streams.forEach((s, k) => {
    body[4 + k * 5] = s.type;
    body.writeUInt16BE(0xe000 | s.pid, 5 + k * 5);
    body.writeUInt16BE(0xf000, 7 + k * 5);
  });
  return psiPacket(PMT_PID, 0x02, PROGRAM_NUMBER, body);
}

function timestamp(prefix: number, value: number): Buffer {
  const v = ((value % WRAP_33) + WRAP_33) % WRAP_33;
  const high = Math.floor(v / 2 ** 30) & 7;
  const low = v % 2 ** 30;
  return Buffer.from([(prefix << 4) | (high << 1) | 1, (low >>> 22) & 0xff, (((low >>> 15) & 0x7f) << 1) | 1, (low >>> 7) & 0xff, ((low & 0x7f) << 1) | 1]);
}

function pesHeader(streamId: number, pts: number, dts: number | undefined, payloadLength: number): Buffer {
  const withDts = dts !== undefined && dts !== pts;
  const optional = withDts ? Buffer.concat([timestamp(3, pts), timestamp(1, dts)]) : timestamp(2, pts);
  const header = Buffer.alloc(9);
  header.writeUInt32BE(0x000001 << 8 | streamId, 0);
  const length = 3 + optional.length + payloadLength;
  // Video PES may leave the length unbounded (0) when it would not fit.
  header.writeUInt16BE(length > 0xffff ? 0 : length, 4);
  header[6] = 0x80;
  header[7] = withDts ? 0xc0 : 0x80;
  header[8] = optional.length;
  return Buffer.concat([header, optional]);
}

/** Splits a PES into packets; the first carries PCR and the random-access flag when asked. */
function packetize(pid: number, pes: Buffer, counters: Map<number, number>, pcr: number | undefined, randomAccess: boolean, out: Buffer[]): void {
  let offset = 0;
  let first = true;
  while (offset < pes.length) {
    const packet = Buffer.alloc(PACKET);
    packet[0] = 0x47;
    packet.writeUInt16BE((first ? 0x4000 : 0) | pid, 1);
    const cc = counters.get(pid) ?? 0;
    counters.set(pid, (cc + 1) & 0xf);
    let adaptation: Buffer | undefined;
    if (first && (pcr !== undefined || randomAccess)) {
      adaptation = Buffer.alloc(pcr !== undefined ? 8 : 2);
      adaptation[0] = adaptation.length - 1;
      adaptation[1] = (randomAccess ? 0x40 : 0) | (pcr !== undefined ? 0x10 : 0);
      if (pcr !== undefined) {
        const base = ((pcr % WRAP_33) + WRAP_33) % WRAP_33;
        adaptation.writeUInt32BE(Math.floor(base / 2), 2);
        adaptation[6] = ((base % 2) << 7) | 0x7e;
        adaptation[7] = 0;
      }
    }
    let room = PACKET - 4 - (adaptation?.length ?? 0);
    const remaining = pes.length - offset;
    if (remaining < room) {
      // Stuffing: the adaptation field grows to fill the packet.
      const stuffing = room - remaining;
      if (!adaptation) {
        adaptation = Buffer.alloc(stuffing, 0xff);
        adaptation[0] = stuffing - 1;
        if (stuffing > 1) adaptation[1] = 0;
      } else {
        adaptation = Buffer.concat([adaptation, Buffer.alloc(stuffing, 0xff)]);
        adaptation[0] = adaptation.length - 1;
      }
      room = remaining;
    }
    packet[3] = (adaptation ? 0x30 : 0x10) | cc;
    let at = 4;
    if (adaptation) at += adaptation.copy(packet, at);
    pes.copy(packet, at, offset, offset + room);
    offset += room;
    first = false;
    out.push(packet);
  }
}

interface Unit {
  pid: number;
  dts90: number;
  pes: Buffer;
  pcr?: number;
  randomAccess: boolean;
}

/** One TS segment from a fragment's track runs (video first when present). */
export function tsSegment(tracks: PlaybackTrack[], runs: TrackRun[]): Buffer {
  const units: Unit[] = [];
  const streams: Array<{ type: number; pid: number }> = [];
  let pcrPid = AUDIO_PID;
  tracks.forEach((track, k) => {
    const run = runs[k];
    const to90 = (t: number) => Math.round((t * 90_000) / run.timescale);
    const config = track.config;
    if (config.kind === 'aac') {
      streams.push({ type: STREAM_TYPE.aac, pid: AUDIO_PID });
      for (const s of run.samples) {
        const payload = Buffer.concat([adtsHeader(config, s.data.length), s.data]);
        units.push({ pid: AUDIO_PID, dts90: to90(s.dts), pes: Buffer.concat([pesHeader(STREAM_ID.audio, to90(s.pts), undefined, payload.length), payload]), randomAccess: false });
      }
      return;
    }
    pcrPid = VIDEO_PID;
    streams.push({ type: STREAM_TYPE[config.kind], pid: VIDEO_PID });
    const aud = config.kind === 'h264' ? H264_AUD : H265_AUD;
    for (const s of run.samples) {
      const body = toAnnexB(s.data, config.nalLengthSize, s.sync ? config.parameterSets : []);
      const payload = Buffer.concat([aud, body]);
      units.push({ pid: VIDEO_PID, dts90: to90(s.dts), pes: Buffer.concat([pesHeader(STREAM_ID.video, to90(s.pts), to90(s.dts), payload.length), payload]), randomAccess: s.sync });
    }
  });
  units.sort((a, b) => a.dts90 - b.dts90);
  const out: Buffer[] = [pat(), pmt(streams, pcrPid)];
  const counters = new Map<number, number>();
  for (const unit of units) {
    const pcr = unit.pid === pcrPid ? unit.dts90 - PCR_LEAD : undefined;
    packetize(unit.pid, unit.pes, counters, pcr, unit.randomAccess, out);
  }
  return Buffer.concat(out);
}
