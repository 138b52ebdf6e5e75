import { ObjectStoreError } from './object-store.js';

/** S3's own messages for the errors the object stores raise (S3 API reference, "Error responses"). */
export function noSuchBucket(bucket: string): ObjectStoreError {
  return new ObjectStoreError('NoSuchBucket', `The specified bucket does not exist: ${bucket}`);
}

export function noSuchKey(): ObjectStoreError {
  return new ObjectStoreError('NoSuchKey', 'The specified key does not exist.');
}

export function bucketAlreadyOwnedByYou(): ObjectStoreError {
  return new ObjectStoreError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
}

export function bucketNotEmpty(): ObjectStoreError {
  return new ObjectStoreError('BucketNotEmpty', 'The bucket you tried to delete is not empty');
}

export function noSuchUpload(): ObjectStoreError {
  return new ObjectStoreError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  );
}

export function invalidPart(): ObjectStoreError {
  return new ObjectStoreError(
    'InvalidPart',
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  );
}

export function invalidPartOrder(): ObjectStoreError {
  return new ObjectStoreError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
}

export function entityTooSmall(): ObjectStoreError {
  return new ObjectStoreError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
}
