/**
 * Large blobs decoded from base64 get spare bytes in front of them, so that a store can frame a
 * record in place instead of copying its data into a new buffer (store/record-encoding.ts). For a
 * 1 MiB PutRecord that is one allocation and one copy of a megabyte fewer; buffers of that size
 * are what drives V8's full collections on the write path.
 */

/** Blobs from this size on are worth it; below, the copy is cheap and the spare bytes are not. */
export const HEADROOM_MIN_BYTES = 64 * 1024;
/**
 * Enough for any store header and record framing: headers of ≤ 13 bytes, 7 bytes of lengths, a
 * partition key of ≤ 256 UTF-16 units (≤ 768 bytes of UTF-8) and a key reference of ≤ 255 bytes.
 */
export const HEADROOM_BYTES = 2048;

/** Backing memory whose headroom nobody has claimed yet. */
const unclaimed = new WeakSet<ArrayBuffer>();

/** Room for `size` bytes of blob, with HEADROOM_BYTES free in front; write the blob from offset 0. */
export function allocateWithHeadroom(size: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(HEADROOM_BYTES + size);
  unclaimed.add(whole.buffer);
  return whole.subarray(HEADROOM_BYTES);
}

/**
 * `data` with `bytes` of its headroom in front of it, as one buffer, when `data` is a blob that was
 * allocated with headroom (the very view, not part of it) and its headroom was not claimed before;
 * undefined otherwise. Each headroom is handed out once: a second caller copies.
 */
export function claimHeadroom(data: Buffer, bytes: number): Buffer | undefined {
  if (bytes > HEADROOM_BYTES || data.byteOffset !== HEADROOM_BYTES || !unclaimed.has(data.buffer as ArrayBuffer)) return undefined;
  unclaimed.delete(data.buffer as ArrayBuffer);
  return Buffer.from(data.buffer, HEADROOM_BYTES - bytes, bytes + data.length);
}
