import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectHeaders, ObjectInfo } from '../objects/object-store.js';
import { CHECKSUM_METADATA_PREFIX, storedChecksum } from './checksums.js';
import { metadataTooLarge } from './errors.js';

/** "The user-defined metadata is limited to 2 KB in size", counted as the UTF-8 bytes of each key and value (S3 User Guide, "Working with object metadata"). */
export const MAX_USER_METADATA_BYTES = 2048;
const META_PREFIX = 'x-amz-meta-';
/** What S3 stores as an object's type when the upload names none. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The headers S3 keeps with an object, from a PutObject, CopyObject (REPLACE) or CreateMultipartUpload request. */
export function objectHeadersOf(headers: IncomingHttpHeaders): ObjectHeaders {
  const result: ObjectHeaders = {};
  const contentType = single(headers['content-type']);
  if (contentType) result.contentType = contentType;
  // aws-chunked is how the body travelled, not what it is; S3 keeps any other coding.
  const encoding = single(headers['content-encoding'])
    ?.split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding && coding.toLowerCase() !== 'aws-chunked')
    .join(',');
  if (encoding) result.contentEncoding = encoding;
  const disposition = single(headers['content-disposition']);
  if (disposition) result.contentDisposition = disposition;
  const language = single(headers['content-language']);
  if (language) result.contentLanguage = language;
  const cacheControl = single(headers['cache-control']);
  if (cacheControl) result.cacheControl = cacheControl;
  const expires = single(headers.expires);
  if (expires) result.expires = expires;
  let metadataBytes = 0;
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    const key = name.slice(META_PREFIX.length);
    // The checksum's reserved place in the metadata is not the client's to set.
    if (key.startsWith(CHECKSUM_METADATA_PREFIX)) continue;
    const text = single(value)!;
    metadata[key] = text;
    metadataBytes += Buffer.byteLength(key) + Buffer.byteLength(text);
  }
  if (metadataBytes > MAX_USER_METADATA_BYTES) throw metadataTooLarge(metadataBytes, MAX_USER_METADATA_BYTES);
  if (Object.keys(metadata).length > 0) result.metadata = metadata;
  return result;
}

/** The headers a GET or HEAD answers with; the checksum only when the client asked (`x-amz-checksum-mode: ENABLED`). */
export function objectResponseHeaders(info: ObjectInfo, withChecksum: boolean): Record<string, string | number | undefined> {
  const headers: Record<string, string | number | undefined> = {
    'Last-Modified': new Date(info.lastModified).toUTCString(),
    ETag: `"${info.etag}"`,
    'Accept-Ranges': 'bytes',
    'Content-Type': info.contentType ?? DEFAULT_CONTENT_TYPE,
    'Content-Encoding': info.contentEncoding,
    'Content-Disposition': info.contentDisposition,
    'Content-Language': info.contentLanguage,
    'Cache-Control': info.cacheControl,
    Expires: info.expires,
  };
  for (const [key, value] of Object.entries(info.metadata ?? {})) {
    if (!key.startsWith(CHECKSUM_METADATA_PREFIX)) headers[META_PREFIX + key] = value;
  }
  const checksum = withChecksum ? storedChecksum(info.metadata) : undefined;
  if (checksum) {
    headers[`x-amz-checksum-${checksum.algorithm}`] = checksum.value;
    headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  return headers;
}

/** The checksum in the metadata stored with an object. */
export function withChecksum(headers: ObjectHeaders, checksum: { algorithm: string; value: string } | undefined): ObjectHeaders {
  if (!checksum) return headers;
  return { ...headers, metadata: { ...headers.metadata, [CHECKSUM_METADATA_PREFIX + checksum.algorithm]: checksum.value } };
}

