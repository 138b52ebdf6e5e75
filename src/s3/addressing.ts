import type { ServerRequest } from '../protocol/http-exchange.js';
import type { Resource } from './routes.js';

/**
 * Where a request's bucket is named. S3 takes both styles and so does Millrace:
 * - virtual-hosted: the Host is `<bucket>.localhost`, or `<bucket>.s3.localhost` /
 *   `<bucket>.s3.<region>.localhost` for clients pointed at an `s3.`-style endpoint name. Names
 *   under `localhost` resolve to loopback without any DNS set-up (RFC 6761 §6.3), which is why
 *   Millrace reserves that suffix; `s3.localhost` and `s3.<region>.localhost` alone are the
 *   service itself. A bucket whose name ends in `.s3` is reached path-style.
 * - path-style: any other Host (an IP address, `localhost`, a machine name); the first path
 *   segment is the bucket, the rest (after one `/`) the key.
 */
const VIRTUAL_HOST_SUFFIX = '.localhost';
/** `s3` or `s3.<region>` right before `.localhost`: an endpoint name, not part of the bucket's. */
const ENDPOINT_LABELS = /(^|\.)s3(\.[a-z0-9-]+)?$/;

export interface Address {
  resource: Resource;
  bucket?: string;
  key?: string;
  virtualHosted: boolean;
}

/** The bucket a virtual-hosted request names, or undefined for a path-style one. */
export function virtualHostBucket(req: ServerRequest): string | undefined {
  const host = (req.headers.host ?? req.headers[':authority']) as string | undefined;
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  if (!name.endsWith(VIRTUAL_HOST_SUFFIX)) return undefined;
  let labels = name.slice(0, -VIRTUAL_HOST_SUFFIX.length);
  const endpoint = ENDPOINT_LABELS.exec(labels);
  if (endpoint) labels = labels.slice(0, endpoint.index);
  return labels || undefined;
}

/**
 * Bucket and key of a request. `rawPath` is the path as sent (still percent-encoded); the key is
 * its decoded remainder, kept byte for byte: `a//b` and `a/../b` are keys of their own in S3.
 */
export function addressOf(req: ServerRequest, rawPath: string): Address {
  const hosted = virtualHostBucket(req);
  const path = decodePath(rawPath);
  if (hosted !== undefined) {
    const key = path.slice(1);
    return key ? { resource: 'object', bucket: hosted, key, virtualHosted: true } : { resource: 'bucket', bucket: hosted, virtualHosted: true };
  }
  const slash = path.indexOf('/', 1);
  if (path === '/' || path === '') return { resource: 'service', virtualHosted: false };
  if (slash === -1) return { resource: 'bucket', bucket: path.slice(1), virtualHosted: false };
  const bucket = path.slice(1, slash);
  const key = path.slice(slash + 1);
  return key ? { resource: 'object', bucket, key, virtualHosted: false } : { resource: 'bucket', bucket, virtualHosted: false };
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // A stray `%` is a literal percent sign in a key, as S3 reads it.
    return raw.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}
