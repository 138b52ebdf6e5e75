import { MAX_KEY_BYTES } from './object-store.js';

/**
 * Object keys as S3 orders and bounds them. S3 lists keys in UTF-8 binary order, which is
 * code-point order; JavaScript compares UTF-16 code units, which differs only where a surrogate
 * (U+D800–DFFF, half of a code point above U+FFFF) meets a unit in U+E000–FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000–FFFF so that code units compare as code points do. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** In Unicode mode a surrogate matches only when it is not half of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Checks what the store must never be given (the S3 API answers users). */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('an object key must not be empty');
  if (LONE_SURROGATE.test(key)) throw new RangeError('an object key must be well-formed Unicode');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new RangeError(`an object key is at most ${MAX_KEY_BYTES} bytes of UTF-8, got ${bytes}`);
}

/** First index in `sorted` whose key is greater than `key` (`orEqual`: not less than). */
export function searchKeys(sorted: readonly string[], key: string, orEqual = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareKeys(sorted[middle], key);
    if (order < 0 || (order === 0 && !orEqual)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Where a listing starts and which keys it may return: after `startAfter`, and from the first key
 * with the prefix. Keys with a prefix are contiguous in binary order.
 */
export function listingStart(sorted: readonly string[], prefix: string, startAfter: string | undefined): number {
  const afterStart = startAfter === undefined ? 0 : searchKeys(sorted, startAfter);
  const atPrefix = prefix === '' ? 0 : searchKeys(sorted, prefix, true);
  return Math.max(afterStart, atPrefix);
}

/** Keeps `sorted` ordered: inserts `key` unless present. */
export function insertKey(sorted: string[], key: string): void {
  const at = searchKeys(sorted, key, true);
  if (sorted[at] !== key) sorted.splice(at, 0, key);
}

export function removeKey(sorted: string[], key: string): void {
  const at = searchKeys(sorted, key, true);
  if (sorted[at] === key) sorted.splice(at, 1);
}
