import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectBody, ObjectHeaders } from './object-store.js';

/** A whole body in memory (the memory store, small documents). */
export async function bodyBuffer(body: ObjectBody): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function bodyStream(data: Buffer): Readable {
  return Readable.from([data], { objectMode: false });
}

/** The stored headers without unset members, copied so the caller's object is not shared. */
export function keptHeaders(headers: ObjectHeaders): ObjectHeaders {
  const kept: ObjectHeaders = {};
  for (const name of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'expires'] as const) {
    if (headers[name] !== undefined) kept[name] = headers[name];
  }
  if (headers.metadata && Object.keys(headers.metadata).length > 0) kept.metadata = { ...headers.metadata };
  return kept;
}
