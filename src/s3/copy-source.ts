import { invalidArgument } from './errors.js';

/**
 * `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…`
 * (CopyObject "CopySource" in the API reference).
 */
export function parseCopySource(header: string | string[] | undefined): { bucket: string; key: string } {
  const value = (Array.isArray(header) ? header[0] : header) ?? '';
  const path = value.split('?', 1)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = '';
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', value);
  }
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((item) => item.trim() === '*' || item.trim().replace(/^"|"$/g, '') === etag);
}

/** x-amz-copy-source-if-match / -if-none-match: the copy's preconditions on the source. */
export function copySourceConditionFails(headers: Record<string, string | string[] | undefined>, etag: string): string | undefined {
  const ifMatch = headers['x-amz-copy-source-if-match'];
  if (typeof ifMatch === 'string' && !etagMatches(ifMatch, etag)) return 'x-amz-copy-source-If-Match';
  const ifNoneMatch = headers['x-amz-copy-source-if-none-match'];
  if (typeof ifNoneMatch === 'string' && etagMatches(ifNoneMatch, etag)) return 'x-amz-copy-source-If-None-Match';
  return undefined;
}
