import type { S3Call, S3Result } from '../call.js';
import { continuationToken, encodingOf, isoTime, listEntries, maxEntries, owner, parseContinuationToken, type ListPosition } from '../listing.js';
import { xmlDocument } from '../xml.js';

export default async function ListObjectsV2(call: S3Call): Promise<S3Result> {
  const { query } = call;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = maxEntries(query.get('max-keys'), 'max-keys');
  const encode = encodingOf(query.get('encoding-type'));
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? '';
  const fetchOwner = query.get('fetch-owner') === 'true';
  // A continuation token carries on where its page ended; StartAfter applies to the first page only.
  const position: ListPosition = token !== null ? parseContinuationToken(token) : startAfter ? { after: startAfter } : {};
  const { entries, truncated, next } = await listEntries(call.objects, call.bucket, { prefix, delimiter, position, limit: maxKeys });
  const text = encode ?? ((value: string) => value);
  const contents = entries.flatMap((entry) =>
    'object' in entry
      ? [
          {
            Key: text(entry.object.key),
            LastModified: isoTime(entry.object.lastModified),
            ETag: `"${entry.object.etag}"`,
            Size: entry.object.size,
            Owner: fetchOwner ? owner(call.caller) : undefined,
            StorageClass: 'STANDARD',
          },
        ]
      : [],
  );
  const prefixes = entries.flatMap((entry) => ('prefix' in entry ? [{ Prefix: text(entry.prefix) }] : []));
  return {
    body: xmlDocument('ListBucketResult', {
      Name: call.bucket,
      Prefix: text(prefix),
      Delimiter: delimiter ? text(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: encode ? 'url' : undefined,
      KeyCount: entries.length,
      IsTruncated: truncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: truncated ? continuationToken(next) : undefined,
      StartAfter: startAfter ? text(startAfter) : undefined,
      Contents: contents,
      CommonPrefixes: prefixes,
    }),
  };
}
