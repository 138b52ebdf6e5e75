/**
 * S3's naming rules for general purpose buckets (Amazon S3 User Guide, "General purpose bucket
 * naming rules"). Names are checked when a bucket is created; other requests for a name that breaks
 * them simply find no such bucket, as in S3.
 */

/** "Bucket names must be between 3 (min) and 63 (max) characters long." */
export const MIN_BUCKET_NAME_LENGTH = 3;
export const MAX_BUCKET_NAME_LENGTH = 63;
/** "…can consist only of lowercase letters, numbers, periods (.), and hyphens (-)", and "must begin and end with a letter or number." */
const BUCKET_NAME_CHARACTERS = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
/** "…must not contain two adjacent periods." */
const ADJACENT_PERIODS = '..';
/** "…must not be formatted as an IP address (for example, 192.168.5.4)." */
const IP_ADDRESS_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** "…must not start with the prefix xn--", "sthree-", "amzn-s3-demo-". */
export const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
/** "…must not end with the suffix -s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3". */
export const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function isValidBucketName(name: string): boolean {
  return (
    name.length >= MIN_BUCKET_NAME_LENGTH &&
    name.length <= MAX_BUCKET_NAME_LENGTH &&
    BUCKET_NAME_CHARACTERS.test(name) &&
    !name.includes(ADJACENT_PERIODS) &&
    !IP_ADDRESS_SHAPE.test(name) &&
    !RESERVED_BUCKET_PREFIXES.some((prefix) => name.startsWith(prefix)) &&
    !RESERVED_BUCKET_SUFFIXES.some((suffix) => name.endsWith(suffix))
  );
}
