import type { S3Call, S3Result } from '../call.js';

export default async function DeleteBucket(call: S3Call): Promise<S3Result> {
  await call.objects.deleteBucket(call.bucket);
  return {};
}
