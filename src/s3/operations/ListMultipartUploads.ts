import type { S3Call, S3Result } from '../call.js';
import { encodingOf, isoTime, maxEntries, owner } from '../listing.js';
import { xmlDocument } from '../xml.js';

export default async function ListMultipartUploads(call: S3Call): Promise<S3Result> {
  const { query } = call;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const maxUploads = maxEntries(query.get('max-uploads'), 'max-uploads');
  const encode = encodingOf(query.get('encoding-type'));
  const text = encode ?? ((value: string) => value);
  const uploads = (await call.objects.listMultipartUploads(call.bucket))
    .filter((upload) => upload.key.startsWith(prefix))
    // Uploads by key, and uploads of one key by the time they began.
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated))
    .filter((upload) => !keyMarker || upload.key > keyMarker || (upload.key === keyMarker && uploadIdMarker !== '' && upload.uploadId > uploadIdMarker));
  const entries: ({ upload: (typeof uploads)[number] } | { prefix: string })[] = [];
  for (const upload of uploads) {
    const at = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    if (at !== -1) {
      const common = upload.key.slice(0, at + delimiter.length);
      const last = entries[entries.length - 1];
      if (last && 'prefix' in last && last.prefix === common) continue;
      entries.push({ prefix: common });
    } else entries.push({ upload });
    if (entries.length > maxUploads) break;
  }
  const truncated = entries.length > maxUploads;
  if (truncated) entries.length = maxUploads;
  const last = entries[entries.length - 1];
  const who = owner(call.caller);
  return {
    body: xmlDocument('ListMultipartUploadsResult', {
      Bucket: call.bucket,
      KeyMarker: text(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? text('prefix' in last ? last.prefix : last.upload.key) : undefined,
      NextUploadIdMarker: truncated && last && 'upload' in last ? last.upload.uploadId : undefined,
      Prefix: text(prefix),
      Delimiter: delimiter ? text(delimiter) : undefined,
      MaxUploads: maxUploads,
      EncodingType: encode ? 'url' : undefined,
      IsTruncated: truncated,
      Upload: entries.flatMap((entry) =>
        'upload' in entry
          ? [{ Key: text(entry.upload.key), UploadId: entry.upload.uploadId, Initiator: who, Owner: who, StorageClass: 'STANDARD', Initiated: isoTime(entry.upload.initiated) }]
          : [],
      ),
      CommonPrefixes: entries.flatMap((entry) => ('prefix' in entry ? [{ Prefix: text(entry.prefix) }] : [])),
    }),
  };
}
