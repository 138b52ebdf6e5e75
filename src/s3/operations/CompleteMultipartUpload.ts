import type { S3Call, S3Result } from '../call.js';
import { MAX_PART_NUMBER } from '../../objects/object-store.js';
import { invalidPartOrder, malformedXml } from '../errors.js';
import { parseXml, xmlDocument } from '../xml.js';

export default async function CompleteMultipartUpload(call: S3Call): Promise<S3Result> {
  const request = parseXml(await call.document(), 'CompleteMultipartUpload');
  const entries = request.Part;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_PART_NUMBER) throw malformedXml();
  const parts = entries.map((entry) => {
    const { PartNumber, ETag } = (entry ?? {}) as Record<string, unknown>;
    if (typeof PartNumber !== 'string' || !/^\s*\d+\s*$/.test(PartNumber) || typeof ETag !== 'string') throw malformedXml();
    return { partNumber: Number(PartNumber), etag: ETag.trim().replace(/^"|"$/g, '') };
  });
  for (let i = 1; i < parts.length; i++) if (parts[i]!.partNumber <= parts[i - 1]!.partNumber) throw invalidPartOrder();
  const info = await call.objects.completeMultipartUpload(call.bucket, call.key, call.query.get('uploadId')!, parts);
  const host = (call.headers.host ?? call.headers[':authority'] ?? 'localhost') as string;
  return {
    body: xmlDocument('CompleteMultipartUploadResult', {
      Location: `http://${host}/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`,
      Bucket: call.bucket,
      Key: call.key,
      ETag: `"${info.etag}"`,
    }),
  };
}
