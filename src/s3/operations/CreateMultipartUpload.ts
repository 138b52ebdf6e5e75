import type { S3Call, S3Result } from '../call.js';
import { objectHeadersOf } from '../headers.js';
import { xmlDocument } from '../xml.js';

export default async function CreateMultipartUpload(call: S3Call): Promise<S3Result> {
  const uploadId = await call.objects.createMultipartUpload(call.bucket, call.key, objectHeadersOf(call.headers));
  const algorithm = call.headers['x-amz-checksum-algorithm'] as string | undefined;
  return {
    headers: algorithm ? { 'x-amz-checksum-algorithm': algorithm } : undefined,
    body: xmlDocument('InitiateMultipartUploadResult', { Bucket: call.bucket, Key: call.key, UploadId: uploadId }),
  };
}
