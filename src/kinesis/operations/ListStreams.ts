import { epochDate } from '../domain/time.js';
import { openPageToken, sealPageToken } from '../domain/page-token.js';
import type { KinesisContext } from '../context.js';

/** Pages hold at most 100 streams; Limit defaults to 100 (KINESIS-SPEC §3.5). */
export const LIST_STREAMS_MAX = 100;

interface Input {
  Limit?: number;
  ExclusiveStartStreamName?: string;
  NextToken?: string;
}

/** KINESIS-SPEC §3.5 */
export default async function listStreams(input: Input, context: KinesisContext) {
  const scope = { account: context.account, region: context.region };
  let after = input.ExclusiveStartStreamName;
  if (input.NextToken !== undefined) after = (await openPageToken(context.kinesis.store, input.NextToken, 'ListStreams')).after;
  const all = await context.kinesis.streams.list(scope);
  const candidates = after === undefined ? all : all.filter((s) => s.name > after!);
  const limit = Math.min(input.Limit ?? LIST_STREAMS_MAX, LIST_STREAMS_MAX);
  const page = candidates.slice(0, limit);
  const hasMore = candidates.length > page.length;
  return {
    StreamNames: page.map((s) => s.name),
    HasMoreStreams: hasMore,
    NextToken: hasMore ? await sealPageToken(context.kinesis.store, { op: 'ListStreams', after: page.at(-1)!.name }) : undefined,
    StreamSummaries: page.map((s) => ({
      StreamName: s.name,
      StreamARN: s.arn,
      StreamStatus: s.status,
      StreamModeDetails: { StreamMode: s.mode },
      StreamCreationTimestamp: epochDate(s.createdAt),
    })),
  };
}
