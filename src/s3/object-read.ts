import type { IncomingHttpHeaders } from 'node:http';
import type { ByteRange, ObjectInfo } from '../objects/object-store.js';
import { invalidRange, preconditionFailed } from './errors.js';

/**
 * What GET and HEAD read of an object: a Range (RFC 9110 §14.1.2; S3 serves one range of bytes,
 * and a header it cannot use for that is ignored rather than refused) and the conditional headers
 * (RFC 9110 §13.2.2 order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since).
 */

/** The range to read, undefined for the whole object; InvalidRange when it starts past the end. */
export function byteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw invalidRange(size, header);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Number(match[2]);
  if (end < start) return undefined;
  if (start >= size) throw invalidRange(size, header);
  return { start, end: Math.min(end, size - 1) };
}

function etagListMatches(list: string, etag: string): boolean {
  return list.split(',').some((item) => {
    const tag = item.trim().replace(/^W\//, '');
    return tag === '*' || tag.replace(/^"|"$/g, '') === etag;
  });
}

/** Last-Modified goes out in whole seconds; comparisons use what the client saw. */
const seconds = (epochMs: number) => Math.floor(epochMs / 1000) * 1000;

/**
 * `not-modified` when the client's copy is current (304), PreconditionFailed when a precondition
 * fails (412), undefined to serve the object.
 */
export function checkConditions(info: ObjectInfo, headers: IncomingHttpHeaders): 'not-modified' | undefined {
  const ifMatch = headers['if-match'];
  const ifUnmodifiedSince = headers['if-unmodified-since'];
  const ifNoneMatch = headers['if-none-match'];
  const ifModifiedSince = headers['if-modified-since'];
  const modified = seconds(info.lastModified);
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, info.etag)) throw preconditionFailed('If-Match');
  } else if (ifUnmodifiedSince !== undefined) {
    const since = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(since) && modified > since) throw preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, info.etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since) && modified <= since) return 'not-modified';
  }
  return undefined;
}

/** GetObject's `response-*` query parameters override the stored headers in the answer. */
export const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};
