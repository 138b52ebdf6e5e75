import type { VideoRequestContext } from '../context.js';
import { edgeDescription, edgeStatusAt } from '../domain/edge-configuration.js';
import { requireRetention } from '../domain/stream-changes.js';
import type { VideoStreamDoc } from '../domain/video-stream.js';
import { edgeHubDeviceChange, edgeSyncInProgress, streamNotActive } from '../errors.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  EdgeConfig: Record<string, unknown> & { HubDeviceArn: string };
}

/**
 * Creates or replaces the stream's edge configuration (the SDK's documentation): SYNCING at once;
 * refused while a previous update is SYNCING; another Hub Device needs DeleteEdgeConfiguration
 * first; the stream must retain data.
 */
export default async function startEdgeConfigurationUpdate(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const now = Date.now();
  const stored: VideoStreamDoc = await video.streams.update(account, region, input, (stream) => {
    if (stream.Status !== 'ACTIVE') throw streamNotActive(stream.StreamName, stream.Status);
    requireRetention(stream);
    const previous = stream.edge && edgeStatusAt(stream.edge, now);
    if (previous?.SyncStatus === 'SYNCING') throw edgeSyncInProgress(stream.StreamName);
    if (previous && previous.EdgeConfig.HubDeviceArn !== input.EdgeConfig.HubDeviceArn) throw edgeHubDeviceChange(stream.StreamName);
    return {
      ...stream,
      edge: { CreationTime: previous?.CreationTime ?? now, LastUpdatedTime: now, SyncStatus: 'SYNCING', EdgeConfig: input.EdgeConfig },
    };
  });
  return edgeDescription(stored, stored.edge!);
}
