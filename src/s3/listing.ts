import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../objects/object-store.js';
import type { Caller } from '../protocol/authenticator.js';
import { invalidArgument } from './errors.js';

/** S3 returns at most 1,000 keys, parts or uploads per list call (MaxKeys, MaxParts, MaxUploads in the API reference). */
export const MAX_LIST_ENTRIES = 1000;
/**
 * The greatest character in UTF-8 order: a position just past every key that starts with a common
 * prefix. Keys that still sort after it (in the store's order) are skipped by the prefix check.
 */
const PAST_PREFIX = '\u{10FFFF}';

export type ListEntry = { object: ObjectInfo } | { prefix: string };

/** Where a list continues: after a key, or past every key of a common prefix already returned. */
export interface ListPosition {
  after?: string;
  skipPrefix?: string;
}

/**
 * Keys of a bucket in order with those that share a prefix up to the delimiter rolled into one
 * CommonPrefixes entry, as S3 lists them (ListObjectsV2 "Delimiter"). Reads `limit` entries plus
 * one, to know whether the list is truncated.
 */
export async function listEntries(
  objects: ObjectStore,
  bucket: string,
  options: { prefix: string; delimiter: string; position: ListPosition; limit: number },
): Promise<{ entries: ListEntry[]; truncated: boolean; next: ListPosition }> {
  const { prefix, delimiter, limit } = options;
  const entries: ListEntry[] = [];
  let after = options.position.after;
  let skipPrefix = options.position.skipPrefix;
  if (skipPrefix !== undefined && (after === undefined || after < skipPrefix + PAST_PREFIX)) after = skipPrefix + PAST_PREFIX;
  let exhausted = false;
  while (entries.length <= limit && !exhausted) {
    const page = await objects.listObjects(bucket, { prefix: prefix || undefined, startAfter: after, limit: Math.min(MAX_LIST_ENTRIES, limit + 1 - entries.length) });
    exhausted = !page.truncated;
    for (const info of page.objects) {
      after = info.key;
      if (skipPrefix !== undefined && info.key.startsWith(skipPrefix)) continue;
      const at = delimiter ? info.key.indexOf(delimiter, prefix.length) : -1;
      if (at !== -1) {
        skipPrefix = info.key.slice(0, at + delimiter.length);
        entries.push({ prefix: skipPrefix });
        // The rest of this prefix's keys need not be read: continue past them.
        after = skipPrefix + PAST_PREFIX;
        exhausted = false;
        break;
      }
      entries.push({ object: info });
      if (entries.length > limit) break;
    }
    if (page.objects.length === 0) exhausted = true;
  }
  const truncated = entries.length > limit;
  if (truncated) entries.length = limit;
  const last = entries[entries.length - 1];
  const next: ListPosition = !last ? options.position : 'prefix' in last ? { after: last.prefix + PAST_PREFIX, skipPrefix: last.prefix } : { after: last.object.key };
  return { entries, truncated, next };
}

/** ContinuationToken: opaque to clients, a position to Millrace. */
export function continuationToken(position: ListPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64');
}

export function parseContinuationToken(token: string): ListPosition {
  try {
    const position = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as ListPosition;
    if (typeof position === 'object' && position !== null && (position.after === undefined || typeof position.after === 'string')) return position;
  } catch {
    // Not one of ours.
  }
  throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
}

/** max-keys, max-parts, max-uploads: a whole number, at most 1,000 returned whatever is asked. */
export function maxEntries(value: string | null, name: string): number {
  if (value === null) return MAX_LIST_ENTRIES;
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(Number(value), MAX_LIST_ENTRIES);
}

/** EncodingType: only `url` exists. */
export function encodingOf(value: string | null): ((text: string) => string) | undefined {
  if (value === null) return undefined;
  if (value !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', value);
  return urlEncode;
}

/** S3's `EncodingType=url`: percent-encoding of everything but unreserved characters and `/`. */
export function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An account's canonical user: 64 hex digits, as S3 writes owners; the display name is the account. */
export function owner(caller: Caller): { ID: string; DisplayName: string } {
  return { ID: createHash('sha256').update(`millrace:${caller.account}`).digest('hex'), DisplayName: caller.account };
}

/** Timestamps in list results: ISO 8601 with milliseconds, as S3 writes them. */
export const isoTime = (epochMs: number) => new Date(epochMs).toISOString();
