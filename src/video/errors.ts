import { AwsError } from '../protocol/errors.js';

/**
 * Kinesis Video Streams' error texts (VIDEO-SPEC §2.1, §2.2). Recorded ones are marked so; the
 * others are UNVERIFIED against AWS and each is one constant here, so a recording corrects it in
 * one place. Statuses come from the model's error traits (rest-json.ts reads them), so each error
 * is only its type and message here.
 */

/** The `x-amzn-ErrorType` suffix an iOS client surfaced (§2.1, UNVERIFIED). */
export const ERROR_TYPE_SUFFIX = ':https://kinesisvideo.amazonaws.com/doc/2017-09-30/';

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

/** UNVERIFIED: CurrentVersion is not the resource's Version. */
export const versionMismatch = (given: string, current: string) =>
  new AwsError('VersionMismatchException', `The version ${given} does not match the current version ${current}.`);

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

/** UNVERIFIED text: more than 50 tags on a resource (§2.3). */
export const tagsExceeded = (max: number) =>
  new AwsError('TagsPerResourceExceededLimitException', `The resource can have at most ${max} tags.`);

/** UNVERIFIED text: a ResourceARN that parses but names no kind of resource Millrace has. */
export const invalidResourceFormat = (arn: string) => new AwsError('InvalidResourceFormatException', `The resource ARN ${arn} is not valid.`);

/** UNVERIFIED text: streams per account above the 10,000 quota (§2.4), with --enforce-limits. */
export const accountStreamLimit = (max: number) =>
  new AwsError('AccountStreamLimitExceededException', `The number of streams created for the account is too high (limit ${max}).`);
/** UNVERIFIED text: signaling channels per account above the quota, with --enforce-limits. */
export const accountChannelLimit = (max: number) =>
  new AwsError('AccountChannelLimitExceededException', `The number of signaling channels created for the account is too high (limit ${max}).`);

/** UNVERIFIED text: a control-plane call over its TPS (§2.4), with --enforce-limits. */
export const clientLimitExceeded = () => new AwsError('ClientLimitExceededException', 'Rate exceeded. Try making the call later.');

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
