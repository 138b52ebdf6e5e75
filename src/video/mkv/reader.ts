import {
  BLOCK_GROUP_CHILDREN, BLOCK_GROUP_ID, BLOCK_ID, CLUSTER_CHILDREN, CLUSTER_ID, EBML_ID, SEGMENT_CHILDREN, SEGMENT_ID,
  SIMPLE_BLOCK_ID, TIMECODE_ID, VOID_ID,
} from './ids.js';

/**
 * A streaming, zero-copy EBML/Matroska reader for PutMedia bodies (VIDEO-SPEC §3.2): bytes are
 * pushed as they arrive in pieces of any size (an element id or size may be split across reads),
 * Segment and Cluster may have unknown size, and the bytes inside a Cluster are passed through as
 * slices of the input instead of being gathered, so a 50 MB fragment is never held whole. Elements
 * outside Clusters (EBML header, Info, Tracks, Tags…) are small and handed over whole.
 */
export interface MkvHandler {
  /** A whole element outside any Cluster: the EBML header, or a Segment child (Info, Tracks, Tags…). */
  element(id: number, raw: Buffer, depth: number): void;
  segmentStart(): void;
  segmentEnd(): void;
  /** A Cluster opens; `sizeKnown` when it declared its size (it then ends exactly there). */
  clusterStart(sizeKnown: boolean): void;
  /** The Cluster's Timecode (raw, in TimecodeScale units). */
  clusterTimecode(value: number): void;
  /** A SimpleBlock or Block header: track number, timecode relative to the Cluster, flags. */
  block(track: number, relativeTimecode: number, flags: number): void;
  /** Bytes of the Cluster's children, in order, exactly as received (the Cluster's own header excluded). */
  clusterBytes(raw: Buffer): void;
  clusterEnd(): void;
}

export class MkvError extends Error {}

/**
 * Largest element kept whole (everything outside Clusters, plus a Cluster Timecode): headers and
 * Tags are a few KB; a CodecPrivate is at most a few hundred bytes. Bounds memory against garbage.
 */
export const MAX_WHOLE_ELEMENT_BYTES = 4 * 1024 * 1024;

interface OpenMaster {
  id: number;
  /** Absolute offset where it ends, or undefined for unknown size. */
  end: number | undefined;
  children: ReadonlySet<number>;
}

type Mode =
  | { kind: 'header' }
  | { kind: 'whole'; id: number; size: number; parts: Buffer[]; have: number; inCluster: boolean }
  | { kind: 'blockHead'; remaining: number }
  | { kind: 'pass'; remaining: number };

export class MkvReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Absolute offset of the first byte of `pending`. */
  private position = 0;
  private readonly stack: OpenMaster[] = [];
  private mode: Mode = { kind: 'header' };
  private sawSegment = false;

  constructor(private readonly handler: MkvHandler) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.position;
  }

  /** Whether the reader is inside a Cluster. */
  get inCluster(): boolean {
    return this.stack.some((m) => m.id === CLUSTER_ID);
  }

  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let i = 0;
    for (;;) {
      this.closeEndedMasters(this.position + i);
      const mode = this.mode;
      if (mode.kind === 'pass') {
        if (i >= data.length) break;
        const n = Math.min(mode.remaining, data.length - i);
        this.handler.clusterBytes(data.subarray(i, i + n));
        i += n;
        mode.remaining -= n;
        if (mode.remaining === 0) this.mode = { kind: 'header' };
        continue;
      }
      if (mode.kind === 'whole') {
        if (i >= data.length) break;
        const n = Math.min(mode.size - mode.have, data.length - i);
        mode.parts.push(data.subarray(i, i + n));
        mode.have += n;
        i += n;
        if (mode.have === mode.size) {
          this.mode = { kind: 'header' };
          this.finishWhole(mode.id, mode.parts.length === 1 ? mode.parts[0] : Buffer.concat(mode.parts), mode.inCluster);
        }
        continue;
      }
      if (mode.kind === 'blockHead') {
        const available = data.length - i;
        if (available < 1) break;
        const trackLength = vintLength(data[i]);
        if (trackLength === 0 || trackLength > 8) throw new MkvError('invalid block track number');
        const headLength = trackLength + 3;
        if (mode.remaining < headLength) throw new MkvError('block shorter than its header');
        if (available < headLength) break;
        const track = readVintValue(data, i, trackLength);
        this.handler.block(track, data.readInt16BE(i + trackLength), data[i + trackLength + 2]);
        this.mode = { kind: 'pass', remaining: mode.remaining };
        continue;
      }
      // An element header: id (1–4 bytes, marker kept) and size (1–8 bytes, all ones = unknown).
      if (i >= data.length) break;
      const idLength = vintLength(data[i]);
      if (idLength === 0 || idLength > 4) throw new MkvError(`invalid EBML element id at offset ${this.position + i}`);
      if (data.length - i < idLength + 1) break;
      const sizeLength = vintLength(data[i + idLength]);
      if (sizeLength === 0 || sizeLength > 8) throw new MkvError(`invalid EBML element size at offset ${this.position + i}`);
      const headerLength = idLength + sizeLength;
      if (data.length - i < headerLength) break;
      let id = 0;
      for (let k = 0; k < idLength; k++) id = id * 256 + data[i + k];
      const size = readSize(data, i + idLength, sizeLength);
      const parent = this.stack[this.stack.length - 1];
      if (parent && parent.end === undefined && !parent.children.has(id)) {
        // An id that cannot be a child ends an unknown-size master (VIDEO-SPEC §3.2).
        this.popMaster();
        continue;
      }
      const start = this.position + i;
      if (parent?.end !== undefined && size !== undefined && start + headerLength + size > parent.end) {
        throw new MkvError(`element 0x${id.toString(16)} overruns its parent`);
      }
      const header = data.subarray(i, i + headerLength);
      i += headerLength;
      this.openElement(id, size, header, start + headerLength, parent);
    }
    this.pending = i < data.length ? Buffer.from(data.subarray(i)) : Buffer.alloc(0);
    this.position += i;
    // `pending` is only ever an incomplete element header or block header (≤ 12 bytes).
  }

  /** The body ended: closes what unknown-size elements are open; anything cut short is an error. */
  finish(): void {
    if (this.pending.length || this.mode.kind !== 'header') throw new MkvError('the MKV data ends in the middle of an element');
    while (this.stack.length) {
      const top = this.stack[this.stack.length - 1];
      if (top.end !== undefined && top.end > this.position) throw new MkvError('the MKV data ends in the middle of an element');
      this.popMaster();
    }
    if (!this.sawSegment) throw new MkvError('no Segment in the MKV data');
  }

  private openElement(id: number, size: number | undefined, header: Buffer, bodyStart: number, parent: OpenMaster | undefined): void {
    const parentId = parent?.id;
    if (parentId === undefined) {
      if (id === SEGMENT_ID) {
        this.sawSegment = true;
        this.stack.push({ id, end: size === undefined ? undefined : bodyStart + size, children: SEGMENT_CHILDREN });
        this.handler.segmentStart();
        return;
      }
      if (id !== EBML_ID && id !== VOID_ID) throw new MkvError(`unexpected top-level element 0x${id.toString(16)}`);
      return this.startWhole(id, size, header, false);
    }
    if (parentId === SEGMENT_ID) {
      if (id === SEGMENT_ID) throw new MkvError('a Segment inside a Segment');
      if (id === CLUSTER_ID) {
        this.stack.push({ id, end: size === undefined ? undefined : bodyStart + size, children: CLUSTER_CHILDREN });
        this.handler.clusterStart(size !== undefined);
        return;
      }
      return this.startWhole(id, size, header, false);
    }
    // Inside a Cluster or a BlockGroup: everything is passed through as cluster bytes.
    if (size === undefined) throw new MkvError(`element 0x${id.toString(16)} inside a Cluster has unknown size`);
    if (id === BLOCK_GROUP_ID) {
      this.handler.clusterBytes(header);
      this.stack.push({ id, end: bodyStart + size, children: BLOCK_GROUP_CHILDREN });
      return;
    }
    if (id === TIMECODE_ID) return this.startWhole(id, size, header, true);
    this.handler.clusterBytes(header);
    if (id === SIMPLE_BLOCK_ID || id === BLOCK_ID) this.mode = { kind: 'blockHead', remaining: size };
    else if (size > 0) this.mode = { kind: 'pass', remaining: size };
  }

  private startWhole(id: number, size: number | undefined, header: Buffer, inCluster: boolean): void {
    if (size === undefined) throw new MkvError(`element 0x${id.toString(16)} has unknown size`);
    if (size > MAX_WHOLE_ELEMENT_BYTES) throw new MkvError(`element 0x${id.toString(16)} of ${size} bytes is too large`);
    const whole: Mode = { kind: 'whole', id, size: header.length + size, parts: [Buffer.from(header)], have: header.length, inCluster };
    if (size === 0) return this.finishWhole(id, Buffer.from(header), inCluster);
    this.mode = whole;
  }

  private finishWhole(id: number, raw: Buffer, inCluster: boolean): void {
    if (inCluster) {
      const bodyStart = raw.length - elementBodyLength(raw);
      this.handler.clusterTimecode(readUint(raw, bodyStart, raw.length - bodyStart));
      this.handler.clusterBytes(raw);
      return;
    }
    this.handler.element(id, raw, this.stack.length);
  }

  private closeEndedMasters(at: number): void {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top || top.end === undefined || top.end > at || this.mode.kind !== 'header') return;
      this.popMaster();
    }
  }

  private popMaster(): void {
    const top = this.stack.pop()!;
    if (top.id === SEGMENT_ID) this.handler.segmentEnd();
    else if (top.id === CLUSTER_ID) this.handler.clusterEnd();
  }
}

/** Length of a vint from its first byte (number of leading zero bits + 1), 0 when the byte is 0. */
export function vintLength(first: number): number {
  return first === 0 ? 0 : Math.clz32(first) - 23;
}

function readVintValue(data: Buffer, at: number, length: number): number {
  let value = data[at] & (0xff >> length);
  for (let k = 1; k < length; k++) value = value * 256 + data[at + k];
  return value;
}

/** An element size; undefined when all value bits are ones (unknown size). */
function readSize(data: Buffer, at: number, length: number): number | undefined {
  let allOnes = (data[at] & (0xff >> length)) === 0xff >> length;
  for (let k = 1; k < length && allOnes; k++) allOnes = data[at + k] === 0xff;
  if (allOnes) return undefined;
  const value = readVintValue(data, at, length);
  if (!Number.isSafeInteger(value)) throw new MkvError('element size too large');
  return value;
}

/** An unsigned integer of `length` big-endian bytes (EBML uint). */
export function readUint(data: Buffer, at: number, length: number): number {
  let value = 0;
  for (let k = 0; k < length; k++) value = value * 256 + data[at + k];
  return value;
}

/** The body length of a whole element held in `raw` (header + body). */
function elementBodyLength(raw: Buffer): number {
  const idLength = vintLength(raw[0]);
  const sizeLength = vintLength(raw[idLength]);
  return raw.length - idLength - sizeLength;
}

/** Splits a whole master element's body into its children: [id, body] pairs (for Info, Tracks, Tags). */
export function children(raw: Buffer): Array<{ id: number; body: Buffer; raw: Buffer }> {
  const out: Array<{ id: number; body: Buffer; raw: Buffer }> = [];
  const idLength = vintLength(raw[0]);
  const sizeLength = vintLength(raw[idLength]);
  let i = idLength + sizeLength;
  while (i < raw.length) {
    const start = i;
    const il = vintLength(raw[i]);
    if (il === 0 || il > 4 || i + il >= raw.length) throw new MkvError('invalid child element');
    let id = 0;
    for (let k = 0; k < il; k++) id = id * 256 + raw[i + k];
    i += il;
    const sl = vintLength(raw[i]);
    if (sl === 0 || sl > 8 || i + sl > raw.length) throw new MkvError('invalid child element size');
    const size = readSize(raw, i, sl);
    i += sl;
    if (size === undefined || i + size > raw.length) throw new MkvError('child element overruns its parent');
    out.push({ id, body: raw.subarray(i, i + size), raw: raw.subarray(start, i + size) });
    i += size;
  }
  return out;
}
