import type { S3Call, S3Result } from '../call.js';
import { invalidArgument } from '../errors.js';
import { isoTime, maxEntries, owner } from '../listing.js';
import { xmlDocument } from '../xml.js';

export default async function ListParts(call: S3Call): Promise<S3Result> {
  const uploadId = call.query.get('uploadId')!;
  const maxParts = maxEntries(call.query.get('max-parts'), 'max-parts');
  const markerText = call.query.get('part-number-marker') ?? '0';
  if (!/^\d+$/.test(markerText)) throw invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', markerText);
  const marker = Number(markerText);
  const parts = (await call.objects.listParts(call.bucket, call.key, uploadId)).filter((part) => part.partNumber > marker);
  const page = parts.slice(0, maxParts);
  const truncated = parts.length > page.length;
  const who = owner(call.caller);
  return {
    body: xmlDocument('ListPartsResult', {
      Bucket: call.bucket,
      Key: call.key,
      UploadId: uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length ? page[page.length - 1]!.partNumber : undefined,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((part) => ({ PartNumber: part.partNumber, LastModified: isoTime(part.lastModified), ETag: `"${part.etag}"`, Size: part.size })),
      Initiator: who,
      Owner: who,
      StorageClass: 'STANDARD',
    }),
  };
}
