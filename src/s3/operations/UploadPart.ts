import type { S3Call, S3Result } from '../call.js';
import { checksumHeaders, checkUploadSize, partNumberOf, storing } from '../upload.js';

export default async function UploadPart(call: S3Call): Promise<S3Result> {
  const partNumber = partNumberOf(call.query.get('partNumber'));
  const body = call.upload();
  checkUploadSize(body);
  const part = await storing(body, call.objects.uploadPart(call.bucket, call.key, call.query.get('uploadId')!, partNumber, body));
  return { headers: { ETag: `"${part.etag}"`, ...checksumHeaders(body) } };
}
