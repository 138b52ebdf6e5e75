import { CLUSTER_ID, SEGMENT_ID, SIMPLE_TAG_ID, TAG_ID, TAG_NAME_ID, TAG_STRING_ID, TAGS_ID, UNKNOWN_SIZE_8 } from './ids.js';

/** EBML element writing for GetMedia's output (VIDEO-SPEC §4.2). */

/** An element id as its wire bytes (ids keep their marker bits, so they are written as they are). */
export function idBytes(id: number): Buffer {
  const length = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const out = Buffer.alloc(length);
  for (let k = length - 1, v = id; k >= 0; k--, v = Math.floor(v / 256)) out[k] = v & 0xff;
  return out;
}

/** A size as the shortest vint (never the reserved all-ones value). */
export function sizeBytes(size: number): Buffer {
  let length = 1;
  while (length < 8 && size >= 2 ** (7 * length) - 1) length++;
  return sizeBytesOf(size, length);
}

/** A size in exactly `length` bytes (GetMedia writes Cluster sizes in 8 bytes as AWS does). */
export function sizeBytesOf(size: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let v = size;
  for (let k = length - 1; k >= 0; k--) {
    out[k] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] |= 0x80 >> (length - 1);
  return out;
}

export function element(id: number, body: Buffer | Buffer[]): Buffer {
  const parts = Array.isArray(body) ? body : [body];
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([idBytes(id), sizeBytes(length), ...parts]);
}

export function stringElement(id: number, text: string): Buffer {
  return element(id, Buffer.from(text, 'utf8'));
}

/** `Segment` with unknown size, as AWS opens every GetMedia chunk. */
export const SEGMENT_UNKNOWN_SIZE = Buffer.concat([idBytes(SEGMENT_ID), UNKNOWN_SIZE_8]);

/** A Cluster header with an 8-byte size, as in AWS's GetMedia output. */
export function clusterHeader(bodySize: number): Buffer {
  return Buffer.concat([idBytes(CLUSTER_ID), sizeBytesOf(bodySize, 8)]);
}

/** `Tags{Tag{SimpleTag{TagName,TagString}…}}`: one Tag holding every pair, as in AWS's output. */
export function simpleTags(pairs: ReadonlyArray<readonly [string, string]>): Buffer {
  const simple = pairs.map(([name, value]) => element(SIMPLE_TAG_ID, [stringElement(TAG_NAME_ID, name), stringElement(TAG_STRING_ID, value)]));
  return element(TAGS_ID, element(TAG_ID, simple));
}
