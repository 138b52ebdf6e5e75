/**
 * S3's errors: a code, an HTTP status, S3's own message, and the extra elements S3 adds to the
 * `<Error>` body (BucketName, Key, ActualObjectSize, …). Codes, statuses and messages are those of
 * the S3 API reference, "Error responses" (List of error codes).
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Further elements of the error body, in order. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
export const noSuchKey = (key: string) => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
export const noSuchUpload = (uploadId: string) =>
  new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    { UploadId: uploadId },
  );
export const bucketNotEmpty = (bucket: string) => new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket });
export const bucketAlreadyOwnedByYou = (bucket: string) =>
  new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucket });
export const invalidBucketName = (bucket: string) => new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket });
export const keyTooLong = (size: number, max: number) => new S3Error('KeyTooLongError', 'Your key is too long', 400, { Size: size, MaxSizeAllowed: max });
export const invalidRange = (size: number, range: string) =>
  new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: range, ActualObjectSize: size });
export const malformedXml = () =>
  new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
export const invalidPart = () =>
  new S3Error(
    'InvalidPart',
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    400,
  );
export const invalidPartOrder = () =>
  new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400);
export const entityTooSmall = () => new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400);
export const entityTooLarge = (size: number, max: number) =>
  new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: size, MaxSizeAllowed: max });
export const invalidArgument = (message: string, name?: string, value?: string) =>
  new S3Error('InvalidArgument', message, 400, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' });
export const invalidRequest = (message: string) => new S3Error('InvalidRequest', message, 400);
export const methodNotAllowed = (method: string, resourceType: string) =>
  new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method, ResourceType: resourceType });
/** S3's answer to a request for functionality it recognises but this endpoint does not offer (e.g. bucket ACLs). */
export const notImplemented = (operation: string) =>
  new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Operation: operation });
export const badDigest = (message: string, details: Record<string, string> = {}) => new S3Error('BadDigest', message, 400, details);
export const invalidDigest = (digest: string) => new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, { 'Content-MD5': digest });
export const incompleteBody = () => new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
export const contentSha256Mismatch = (client: string, computed: string) =>
  new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
    ClientComputedContentSHA256: client,
    S3ComputedContentSHA256: computed,
  });
export const preconditionFailed = (condition: string) =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });
export const accessDenied = (message = 'Access Denied') => new S3Error('AccessDenied', message, 403);
export const metadataTooLarge = (size: number, max: number) =>
  new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, { Size: size, MaxSizeAllowed: max });
export const internalError = () => new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
export const serviceUnavailable = () => new S3Error('ServiceUnavailable', 'Please reduce your request rate.', 503);
