import { AwsError } from '../../protocol/errors.js';

/**
 * Request-level errors of the media APIs (VIDEO-SPEC §3.4, §4.1; types and statuses from the
 * kinesis-video-media model). AWS's texts are not on record: each is one UNVERIFIED constant.
 */

/** UNVERIFIED: a second concurrent PutMedia on a stream (the newest is rejected, §3.4). */
export const PUT_MEDIA_CONNECTION_LIMIT = 'A PutMedia connection to this stream is already open; only one is allowed at a time.';
/** UNVERIFIED: a fourth concurrent GetMedia on a stream (3 allowed, §4.2). */
export const GET_MEDIA_CONNECTION_LIMIT = 'Too many concurrent GetMedia connections to this stream.';
export const connectionLimitExceeded = (message: string) => new AwsError('ConnectionLimitExceededException', message, 400);

/** UNVERIFIED: more PutMedia requests per second than the stream allows (5, §3.5). */
export const PUT_MEDIA_RATE_EXCEEDED = 'PutMedia request rate for the stream exceeded.';
export const clientLimitExceeded = (message: string) => new AwsError('ClientLimitExceededException', message, 400);

/** UNVERIFIED texts for PutMedia's request headers (§3.1). */
export const TIMECODE_TYPE_INVALID = 'x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE.';
export const PRODUCER_START_INVALID = 'x-amzn-producer-start-timestamp must be a timestamp in seconds since the epoch.';
export const STREAM_HEADER_REQUIRED = 'Either x-amzn-stream-name or x-amzn-stream-arn must be specified.';

/** UNVERIFIED: ListFragments with a StartTimestamp after its EndTimestamp. */
export const TIMESTAMP_RANGE_INVALID = 'The StartTimestamp must not be after the EndTimestamp.';
/** UNVERIFIED: a StartSelector without the member its type needs. */
export const selectorMemberRequired = (type: string, member: string) => `${member} is required for StartSelectorType ${type}.`;
/** UNVERIFIED: a NextToken Millrace did not issue. */
export const NEXT_TOKEN_INVALID = 'The NextToken is not valid.';

export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message, 400);
