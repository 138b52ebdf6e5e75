import type { VideoRequestContext } from '../context.js';
import { LIST_STREAMS_DEFAULT_MAX_RESULTS } from '../domain/limits.js';
import { page } from '../domain/paging.js';
import { streamInfo } from '../domain/video-stream.js';

interface Input {
  MaxResults?: number;
  NextToken?: string;
  StreamNameCondition?: { ComparisonOperator?: 'BEGINS_WITH'; ComparisonValue?: string };
}

/** §2.3: name order, optional BEGINS_WITH condition, paged by NextToken. */
export default async function listStreams(input: Input, context: VideoRequestContext) {
  const prefix = input.StreamNameCondition?.ComparisonValue ?? '';
  const streams = (await context.video.streams.list(context.account, context.region)).filter((stream) => stream.StreamName.startsWith(prefix));
  const result = page(streams, (stream) => stream.StreamName, input.NextToken, input.MaxResults ?? LIST_STREAMS_DEFAULT_MAX_RESULTS);
  return { StreamInfoList: result.items.map(streamInfo), NextToken: result.nextToken };
}
