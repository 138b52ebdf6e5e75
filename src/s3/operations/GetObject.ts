import type { S3Call, S3Result } from '../call.js';
import { noSuchKey } from '../errors.js';
import { objectResponseHeaders } from '../headers.js';
import { byteRange, checkConditions, RESPONSE_OVERRIDES } from '../object-read.js';

export default async function GetObject(call: S3Call): Promise<S3Result> {
  const rangeHeader = call.headers.range;
  let range;
  if (rangeHeader !== undefined) {
    // The object's size decides the range before any byte is read.
    const info = await call.objects.headObject(call.bucket, call.key);
    if (!info) throw noSuchKey(call.key);
    if (checkConditions(info, call.headers) === 'not-modified') return notModified(info.etag, info.lastModified);
    range = byteRange(rangeHeader, info.size);
  }
  const { info, body } = await call.objects.getObject(call.bucket, call.key, range);
  let condition;
  try {
    condition = checkConditions(info, call.headers);
  } catch (err) {
    body.destroy();
    throw err;
  }
  if (condition === 'not-modified') {
    body.destroy();
    return notModified(info.etag, info.lastModified);
  }
  // A part of an object has no checksum of its own to validate against (S3 sends none for ranges).
  const headers = objectResponseHeaders(info, call.headers['x-amz-checksum-mode'] === 'ENABLED' && !range);
  for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = call.query.get(parameter);
    if (value !== null) headers[header] = value;
  }
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['Content-Length'] = range.end - range.start + 1;
    return { status: 206, headers, body };
  }
  headers['Content-Length'] = info.size;
  return { headers, body };
}

export function notModified(etag: string, lastModified: number): S3Result {
  return { status: 304, headers: { ETag: `"${etag}"`, 'Last-Modified': new Date(lastModified).toUTCString() } };
}
