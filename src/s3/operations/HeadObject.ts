import type { S3Call, S3Result } from '../call.js';
import { noSuchKey } from '../errors.js';
import { objectResponseHeaders } from '../headers.js';
import { byteRange, checkConditions } from '../object-read.js';
import { notModified } from './GetObject.js';

export default async function HeadObject(call: S3Call): Promise<S3Result> {
  const info = await call.objects.headObject(call.bucket, call.key);
  if (!info) throw noSuchKey(call.key);
  if (checkConditions(info, call.headers) === 'not-modified') return notModified(info.etag, info.lastModified);
  const range = byteRange(call.headers.range, info.size);
  const headers = objectResponseHeaders(info, call.headers['x-amz-checksum-mode'] === 'ENABLED' && !range);
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['Content-Length'] = range.end - range.start + 1;
    return { status: 206, headers };
  }
  headers['Content-Length'] = info.size;
  return { headers };
}
