import { AwsError } from '../protocol/errors.js';

/**
 * Kinesis Video Streams' error texts (VIDEO-SPEC §2.1, §2.2). Recorded ones are marked so; the
 * others are UNVERIFIED against AWS and each is one constant here, so a recording corrects it in
 * one place. Statuses come from the model's error traits (rest-json.ts reads them), so each error
 * is only its type and message here.
 */

/** The `x-amzn-ErrorType` suffix an iOS client surfaced (§2.1, UNVERIFIED). */
export const ERROR_TYPE_SUFFIX = ':https://kinesisvideo.amazonaws.com/doc/2017-09-30/';

/**
 * The authentication layer in front of Video's REST-JSON APIs answers 403 (VIDEO-SPEC §2.2: bad
 * credentials, 403 `{"message":"The security token included in the request is invalid."}`), where
 * the shared SigV4 verifier (Kinesis' JSON 1.1 conventions) answers 400.
 */
export const AUTH_FAILURE_STATUS = 403;
const AUTH_FAILURES = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException']);

/** An authentication failure as Video answers it; any other error as it is. */
export function asVideoAuthFailure(error: unknown): unknown {
  if (!(error instanceof AwsError) || !AUTH_FAILURES.has(error.type) || error.status === AUTH_FAILURE_STATUS) return error;
  return new AwsError(error.type, error.hasMessage ? error.message : undefined, AUTH_FAILURE_STATUS);
}

/** Recorded for DescribeStream and GetDataEndpoint (§2.2); used for every stream look-up. */
export const STREAM_NOT_FOUND = 'The requested stream is not found or not active.';
export const streamNotFound = () => new AwsError('ResourceNotFoundException', STREAM_NOT_FOUND, 404);

/** moto's text (§2.2; AWS's UNVERIFIED). */
export const streamExists = (name: string) => new AwsError('ResourceInUseException', `The stream ${name} already exists.`);

/** UNVERIFIED: a signaling channel that does not exist. */
export const CHANNEL_NOT_FOUND = 'The requested channel is not found or not active.';
export const channelNotFound = () => new AwsError('ResourceNotFoundException', CHANNEL_NOT_FOUND, 404);

/** UNVERIFIED, moto-style like streamExists. */
export const channelExists = (name: string) => new AwsError('ResourceInUseException', `The signalingchannel ${name} already exists.`);

/** UNVERIFIED: neither StreamName nor StreamARN given (§2.3 "exactly one should be given"). */
export const STREAM_NAME_OR_ARN_REQUIRED = 'Either StreamName or StreamARN must be specified.';
/** UNVERIFIED: StreamName and StreamARN both given and naming different streams. */
export const STREAM_NAME_ARN_MISMATCH = 'StreamName and StreamARN do not refer to the same stream.';
/** UNVERIFIED: neither ChannelName nor ChannelARN given. */
export const CHANNEL_NAME_OR_ARN_REQUIRED = 'Either ChannelName or ChannelARN must be specified.';
export const CHANNEL_NAME_ARN_MISMATCH = 'ChannelName and ChannelARN do not refer to the same channel.';

export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', message);

/**
 * CurrentVersion is not the resource's Version: the model's description of the exception (what
 * AWS sends is UNVERIFIED), with DescribeSignalingChannel named for channels.
 */
export const STREAM_VERSION_MISMATCH = 'The stream version that you specified is not the latest version. To get the latest version, use the DescribeStream API.';
export const CHANNEL_VERSION_MISMATCH = 'The channel version that you specified is not the latest version. To get the latest version, use the DescribeSignalingChannel API.';
export const versionMismatch = () => new AwsError('VersionMismatchException', STREAM_VERSION_MISMATCH);
export const channelVersionMismatch = () => new AwsError('VersionMismatchException', CHANNEL_VERSION_MISMATCH);

/** UNVERIFIED: an update or delete of a stream that is not ACTIVE (CREATING, UPDATING, DELETING). */
export const streamNotActive = (name: string, status: string) =>
  new AwsError('ResourceInUseException', `The stream ${name} is in ${status} status; it must be ACTIVE.`);
export const channelNotActive = (name: string, status: string) =>
  new AwsError('ResourceInUseException', `The signaling channel ${name} is in ${status} status; it must be ACTIVE.`);

/** UNVERIFIED: DECREASE_DATA_RETENTION below 0 or INCREASE beyond 87,600 hours (§2.3). */
export const retentionOutOfRange = (resulting: number, max: number) =>
  invalidArgument(`The resulting data retention ${resulting} hours is out of range: it must be between 0 and ${max} hours.`);

/** UNVERIFIED text: a configuration that needs retained data on a stream with DataRetentionInHours 0 (§2.3). */
export const NO_DATA_RETENTION = 'The Stream data retention in hours is equal to zero.';
export const noDataRetention = () => new AwsError('NoDataRetentionException', NO_DATA_RETENTION);

/** More than 50 tags on a resource (§2.3): the model's description of the exception (AWS's message UNVERIFIED). */
export const TAGS_EXCEEDED = 'You have exceeded the limit of tags that you can associate with the resource. A Kinesis video stream can support up to 50 tags.';
export const tagsExceeded = () => new AwsError('TagsPerResourceExceededLimitException', TAGS_EXCEEDED);

/** A stream tag API given an ARN that is no stream's: the model's description of the exception (AWS's message UNVERIFIED). */
export const INVALID_RESOURCE_FORMAT = 'The format of the StreamARN is invalid.';
export const invalidResourceFormat = () => new AwsError('InvalidResourceFormatException', INVALID_RESOURCE_FORMAT);

/** Streams per account above the 10,000 quota (§2.4), with --enforce-limits: the model's description (AWS's message UNVERIFIED). */
export const accountStreamLimit = () => new AwsError('AccountStreamLimitExceededException', 'The number of streams created for the account is too high.');
/** Signaling channels per account above the quota, with --enforce-limits: the model's description (AWS's message UNVERIFIED). */
export const accountChannelLimit = () =>
  new AwsError('AccountChannelLimitExceededException', 'You have reached the maximum limit of active signaling channels for this Amazon Web Services account in this region.');

/** A control-plane call over its TPS (§2.4), with --enforce-limits: the model's description (AWS's message UNVERIFIED). */
export const CLIENT_LIMIT_EXCEEDED = 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client calls. Try making the call later.';
export const clientLimitExceeded = () => new AwsError('ClientLimitExceededException', CLIENT_LIMIT_EXCEEDED);

/** UNVERIFIED text: a NextToken Millrace did not issue. */
export const INVALID_NEXT_TOKEN = 'The NextToken is not valid.';

/** UNVERIFIED text: DescribeEdgeConfiguration / DeleteEdgeConfiguration on a stream with none. */
export const edgeConfigurationNotFound = (name: string) =>
  new AwsError('StreamEdgeConfigurationNotFoundException', `The edge configuration for stream ${name} is not found.`, 404);

/** UNVERIFIED text: a ResourceARN of a kind that is neither stream nor channel. */
export const resourceNotFound = () => new AwsError('ResourceNotFoundException', 'The requested resource is not found.', 404);

/** The SDK's documentation of GetSignalingChannelEndpoint: WEBRTC needs a channel configured for ingestion. Text UNVERIFIED. */
export const WEBRTC_NEEDS_MEDIA_STORAGE = 'The WEBRTC protocol is only available for a signaling channel whose media storage configuration is ENABLED.';
/** UNVERIFIED text: UpdateMediaStorageConfiguration ENABLED without a StreamARN. */
export const MEDIA_STORAGE_STREAM_REQUIRED = 'StreamARN is required when the media storage Status is ENABLED.';
/**
 * The SDK's documentation of UpdateMediaStorageConfiguration's ResourceInUseException: the stream
 * is mapped to another channel already. Text UNVERIFIED.
 */
export const streamAlreadyMapped = (streamArn: string, channelArn: string) =>
  new AwsError('ResourceInUseException', `The stream ${streamArn} is already mapped to the signaling channel ${channelArn}.`);

/** The SDK's documentation of ImageGenerationConfiguration: SamplingInterval ≥ 200 ms. Text UNVERIFIED. */
export const samplingIntervalTooSmall = (value: number, min: number) => invalidArgument(`SamplingInterval ${value} is below the minimum of ${min} milliseconds.`);
/** The SDK's documentation of FormatConfig: JPEGQuality 1..100. Text UNVERIFIED. */
export const jpegQualityInvalid = (value: string) => invalidArgument(`JPEGQuality ${value} must be an integer from 1 to 100.`);
/** The SDK's documentation of DestinationRegion: it must be the stream's Region. Text UNVERIFIED. */
export const destinationRegionMismatch = (given: string, region: string) =>
  invalidArgument(`DestinationRegion ${given} must be the Region of the stream, ${region}.`);

/** The SDK's documentation of StartEdgeConfigurationUpdate: no update while SYNCING. Text UNVERIFIED. */
export const edgeSyncInProgress = (name: string) =>
  new AwsError('ResourceInUseException', `The edge configuration of stream ${name} is being synced; wait for IN_SYNC or SYNC_FAILED.`);
/** The SDK's documentation: another Hub Device needs DeleteEdgeConfiguration first. Text UNVERIFIED. */
export const edgeHubDeviceChange = (name: string) =>
  invalidArgument(`The edge configuration of stream ${name} belongs to another Hub Device; delete it before moving it.`);
