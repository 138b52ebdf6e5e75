/**
 * A Kinesis video stream as Millrace keeps it (VIDEO-SPEC §2.3): one metadata document per stream.
 * The control plane (operations/) writes it; the media side (PutMedia, GetMedia, archived media)
 * reads it through `VideoStreams.find`. Every stream incarnation has its own ARN (its suffix is the
 * creation time in ms), so the ARN also names everything stored for that incarnation.
 */

/** VIDEO-SPEC §2.3: the model's Status. */
export type VideoStreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

/** The model's ImageGenerationConfiguration, as given (null deletes it). */
export type ImageGenerationConfiguration = Record<string, unknown>;
/** The model's NotificationConfiguration, as given. */
export type NotificationConfiguration = Record<string, unknown>;

/** StartEdgeConfigurationUpdate's record (the model's DescribeEdgeConfigurationOutput without the stream names). */
export interface EdgeConfigurationRecord {
  /** Epoch ms. */
  CreationTime: number;
  /** Epoch ms. */
  LastUpdatedTime: number;
  SyncStatus: string;
  FailedStatusDetails?: string;
  EdgeConfig: Record<string, unknown>;
}

export interface VideoStreamDoc {
  account: string;
  region: string;
  StreamName: string;
  /** `arn:aws:kinesisvideo:{region}:{account}:stream/{name}/{creationMillis}`. */
  StreamARN: string;
  Status: VideoStreamStatus;
  /** 20 alphanumeric characters, new on every change (§2.3 "Identity and defaults"); the CAS token of Update*. */
  Version: string;
  /** Epoch ms (the ARN's suffix). */
  CreationTime: number;
  /** 0 = nothing persisted (§2.3). */
  DataRetentionInHours: number;
  MediaType?: string;
  KmsKeyId: string;
  DeviceName?: string;
  /** HOT unless CreateStream or UpdateStreamStorageConfiguration says WARM. */
  DefaultStorageTier: 'HOT' | 'WARM';
  tags: Record<string, string>;
  /** When the current CREATING / UPDATING / DELETING ends (epoch ms); completed by whoever reads it after. */
  pendingUntil?: number;
  imageGeneration?: ImageGenerationConfiguration;
  notification?: NotificationConfiguration;
  edge?: EdgeConfigurationRecord;
}

/** All video streams of every account (the lifecycle sweep). */
export const ALL_VIDEO_STREAMS_PREFIX = 'video/streams/';

export const videoStreamPrefix = (account: string, region: string): string => `${ALL_VIDEO_STREAMS_PREFIX}${account}/${region}/`;

/** The metadata key of a stream's document. */
export const videoStreamKey = (account: string, region: string, name: string): string => `${videoStreamPrefix(account, region)}${name}`;

export const streamArn = (region: string, account: string, name: string, creationMillis: number): string =>
  `arn:aws:kinesisvideo:${region}:${account}:stream/${name}/${creationMillis}`;

/** §2.3: the KMS key a stream gets when CreateStream names none. */
export const defaultKmsKeyId = (region: string, account: string): string => `arn:aws:kms:${region}:${account}:alias/aws/kinesisvideo`;

/** The model's StreamInfo, as DescribeStream and ListStreams show a stream. */
export function streamInfo(stream: VideoStreamDoc): Record<string, unknown> {
  return {
    DeviceName: stream.DeviceName,
    StreamName: stream.StreamName,
    StreamARN: stream.StreamARN,
    MediaType: stream.MediaType,
    KmsKeyId: stream.KmsKeyId,
    Version: stream.Version,
    Status: stream.Status,
    CreationTime: new Date(stream.CreationTime),
    DataRetentionInHours: stream.DataRetentionInHours,
  };
}
