import type { VideoRequestContext } from '../context.js';
import { MAX_DATA_RETENTION_HOURS, MAX_STREAMS_PER_ACCOUNT } from '../domain/limits.js';
import { newVersion } from '../domain/version.js';
import { defaultKmsKeyId, streamArn, type VideoStreamDoc } from '../domain/video-stream.js';
import { accountStreamLimit, invalidArgument, streamExists } from '../errors.js';

interface Input {
  StreamName: string;
  DeviceName?: string;
  MediaType?: string;
  KmsKeyId?: string;
  DataRetentionInHours?: number;
  Tags?: Record<string, string>;
  StreamStorageConfiguration?: { DefaultStorageTier: 'HOT' | 'WARM' };
}

/** UNVERIFIED text: DataRetentionInHours above 87,600 (§2.3). */
export const retentionTooLong = (hours: number) =>
  invalidArgument(`DataRetentionInHours ${hours} exceeds the maximum of ${MAX_DATA_RETENTION_HOURS} hours.`);

/** §2.3: asynchronous, CREATING for --create-video-stream-ms, then ACTIVE; the ARN ends in the creation time. */
export default async function createStream(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const retention = input.DataRetentionInHours ?? 0;
  if (retention > MAX_DATA_RETENTION_HOURS) throw retentionTooLong(retention);
  if (video.config.enforceLimits && (await video.streams.count(account, region)) >= MAX_STREAMS_PER_ACCOUNT) throw accountStreamLimit(MAX_STREAMS_PER_ACCOUNT);
  const now = Date.now();
  const delay = video.config.createVideoStreamMs;
  const stream: VideoStreamDoc = {
    account,
    region,
    StreamName: input.StreamName,
    StreamARN: streamArn(region, account, input.StreamName, now),
    Status: 'CREATING',
    Version: newVersion(),
    CreationTime: now,
    DataRetentionInHours: retention,
    MediaType: input.MediaType,
    KmsKeyId: input.KmsKeyId ?? defaultKmsKeyId(region, account),
    DeviceName: input.DeviceName,
    DefaultStorageTier: input.StreamStorageConfiguration?.DefaultStorageTier ?? 'HOT',
    tags: input.Tags ?? {},
    pendingUntil: now + delay,
  };
  if (!(await video.streams.create(stream))) throw streamExists(input.StreamName);
  return { StreamARN: stream.StreamARN };
}
