import type { S3Call, S3Result } from '../call.js';
import { encodingOf, isoTime, listEntries, maxEntries, owner, type ListPosition } from '../listing.js';
import { xmlDocument } from '../xml.js';

/** ListObjects (version 1): a Marker instead of a continuation token, and owners always. */
export default async function ListObjects(call: S3Call): Promise<S3Result> {
  const { query } = call;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const marker = query.get('marker') ?? '';
  const maxKeys = maxEntries(query.get('max-keys'), 'max-keys');
  const encode = encodingOf(query.get('encoding-type'));
  // A marker that is a common prefix (a NextMarker of ours) continues past that prefix's keys.
  const position: ListPosition = !marker ? {} : delimiter && marker.endsWith(delimiter) && marker.startsWith(prefix) ? { after: marker, skipPrefix: marker } : { after: marker };
  const { entries, truncated } = await listEntries(call.objects, call.bucket, { prefix, delimiter, position, limit: maxKeys });
  const text = encode ?? ((value: string) => value);
  const last = entries[entries.length - 1];
  const nextMarker = truncated && delimiter && last ? ('prefix' in last ? last.prefix : last.object.key) : undefined;
  return {
    body: xmlDocument('ListBucketResult', {
      Name: call.bucket,
      Prefix: text(prefix),
      Marker: text(marker),
      NextMarker: nextMarker === undefined ? undefined : text(nextMarker),
      MaxKeys: maxKeys,
      Delimiter: delimiter ? text(delimiter) : undefined,
      EncodingType: encode ? 'url' : undefined,
      IsTruncated: truncated,
      Contents: entries.flatMap((entry) =>
        'object' in entry
          ? [
              {
                Key: text(entry.object.key),
                LastModified: isoTime(entry.object.lastModified),
                ETag: `"${entry.object.etag}"`,
                Size: entry.object.size,
                Owner: owner(call.caller),
                StorageClass: 'STANDARD',
              },
            ]
          : [],
      ),
      CommonPrefixes: entries.flatMap((entry) => ('prefix' in entry ? [{ Prefix: text(entry.prefix) }] : [])),
    }),
  };
}
