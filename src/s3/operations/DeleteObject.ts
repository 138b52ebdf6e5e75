import type { S3Call, S3Result } from '../call.js';

export default async function DeleteObject(call: S3Call): Promise<S3Result> {
  await call.objects.deleteObject(call.bucket, call.key);
  return {};
}
