import type { VideoRequestContext } from '../context.js';
import { edgeDescription } from '../domain/edge-configuration.js';
import { LIST_EDGE_DEFAULT_MAX_RESULTS } from '../domain/limits.js';
import { page } from '../domain/paging.js';

/** The edge configurations of the account's streams that name this Hub Device, in stream name order. */
export default async function listEdgeAgentConfigurations(input: { HubDeviceArn: string; MaxResults?: number; NextToken?: string }, context: VideoRequestContext) {
  const streams = (await context.video.streams.list(context.account, context.region)).filter((stream) => stream.edge?.EdgeConfig.HubDeviceArn === input.HubDeviceArn);
  const result = page(streams, (stream) => stream.StreamName, input.NextToken, input.MaxResults ?? LIST_EDGE_DEFAULT_MAX_RESULTS);
  return { EdgeConfigs: result.items.map((stream) => edgeDescription(stream, stream.edge!)), NextToken: result.nextToken };
}
