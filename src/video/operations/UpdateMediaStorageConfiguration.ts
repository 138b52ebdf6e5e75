import type { VideoRequestContext } from '../context.js';
import { channelNotActive, invalidArgument, MEDIA_STORAGE_STREAM_REQUIRED, noDataRetention, streamAlreadyMapped, streamNotFound } from '../errors.js';

interface Input {
  ChannelARN: string;
  MediaStorageConfiguration: { Status: 'ENABLED' | 'DISABLED'; StreamARN?: string };
}

/**
 * Maps a channel to the stream its WebRTC ingestion would store into (the SDK's documentation):
 * ENABLED needs a StreamARN of a stream that retains data (NoDataRetentionException) and that no
 * other channel is mapped to (ResourceInUseException). Stored and described; Millrace ingests no WebRTC.
 */
export default async function updateMediaStorageConfiguration(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const config = input.MediaStorageConfiguration;
  const channel = await video.channels.find(account, region, { ChannelARN: input.ChannelARN });
  if (config.Status === 'ENABLED') {
    if (config.StreamARN === undefined) throw invalidArgument(MEDIA_STORAGE_STREAM_REQUIRED);
    const stream = await video.streams.lookUp(account, region, { StreamARN: config.StreamARN });
    if (!stream || stream.Status === 'DELETING') throw streamNotFound();
    if (stream.DataRetentionInHours === 0) throw noDataRetention();
    const other = (await video.channels.list(account, region)).find(
      (c) => c.ChannelARN !== channel.ChannelARN && c.mediaStorage.Status === 'ENABLED' && c.mediaStorage.StreamARN === config.StreamARN,
    );
    if (other) throw streamAlreadyMapped(config.StreamARN, other.ChannelARN);
  }
  await video.channels.update(account, region, { ChannelARN: input.ChannelARN }, (current) => {
    if (current.ChannelStatus !== 'ACTIVE') throw channelNotActive(current.ChannelName, current.ChannelStatus);
    return { ...current, mediaStorage: config.StreamARN === undefined ? { Status: config.Status } : { Status: config.Status, StreamARN: config.StreamARN } };
  });
  return {};
}
