import { EDGE_SYNC_TIMEOUT_MS } from './limits.js';
import type { EdgeConfigurationRecord, VideoStreamDoc } from './video-stream.js';

/**
 * Edge configurations (StartEdgeConfigurationUpdate) are kept for an Edge Agent that runs on an
 * IoT Greengrass Hub Device. Millrace has none to sync with, so a configuration stays SYNCING and,
 * as AWS does when no agent acknowledges it, becomes SYNC_FAILED after 15 minutes.
 */
export const EDGE_SYNC_FAILED_DETAILS = 'The Edge Agent did not acknowledge the edge configuration: Millrace has no Edge Agent to sync with.';

/** The record as it stands at `now` (SYNCING turns SYNC_FAILED once its time is up). */
export function edgeStatusAt(record: EdgeConfigurationRecord, now: number): EdgeConfigurationRecord {
  if (record.SyncStatus === 'SYNCING' && now - record.LastUpdatedTime >= EDGE_SYNC_TIMEOUT_MS) {
    return { ...record, SyncStatus: 'SYNC_FAILED', FailedStatusDetails: EDGE_SYNC_FAILED_DETAILS };
  }
  return record;
}

/** The model's DescribeEdgeConfigurationOutput / ListEdgeAgentConfigurationsEdgeConfig of a stream. */
export function edgeDescription(stream: VideoStreamDoc, record: EdgeConfigurationRecord): Record<string, unknown> {
  const current = edgeStatusAt(record, Date.now());
  return {
    StreamName: stream.StreamName,
    StreamARN: stream.StreamARN,
    CreationTime: new Date(current.CreationTime),
    LastUpdatedTime: new Date(current.LastUpdatedTime),
    SyncStatus: current.SyncStatus,
    FailedStatusDetails: current.FailedStatusDetails,
    EdgeConfig: current.EdgeConfig,
  };
}
