import { invalidArgument, resourceNotFound } from '../../protocol/errors.js';
import { describeConsumer, listConsumers } from '../domain/consumers.js';
import { openPageToken, sealPageToken } from '../domain/page-token.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

/** Page size when MaxResults is absent, and the most one page holds whatever is asked (§3.18). */
export const DEFAULT_CONSUMER_PAGE = 100;
export const MAX_CONSUMER_PAGE = 100;

interface Input {
  StreamARN: string;
  NextToken?: string;
  MaxResults?: number;
  StreamCreationTimestamp?: Date;
}

interface ConsumerPageToken {
  op: string;
  /** Stream incarnation the token pages through. */
  stream: string;
  /** Last consumer name returned. */
  after: string;
  [field: string]: unknown;
}

const OP = 'ListStreamConsumers';

/** KINESIS-SPEC §3.18: consumers in name order, paged with sealed NextTokens. */
export default async function listStreamConsumers(input: Input, context: KinesisContext) {
  const stream = await requireStream(streamTarget({ StreamARN: input.StreamARN }, context), context);
  // A creation time that is not this stream's names an earlier incarnation, which is gone.
  if (input.StreamCreationTimestamp !== undefined && Math.floor(input.StreamCreationTimestamp.getTime() / 1000) !== Math.floor(stream.createdAt / 1000)) {
    throw resourceNotFound(`Stream ${stream.name} under account ${stream.account} with creation time ${input.StreamCreationTimestamp.getTime() / 1000} not found.`);
  }
  let after: string | undefined;
  if (input.NextToken !== undefined) {
    const token = await openPageToken<ConsumerPageToken>(context.kinesis.store, input.NextToken, OP);
    if (token.stream !== stream.id) throw invalidArgument('Invalid NextToken.');
    after = token.after;
  }
  const size = Math.min(input.MaxResults ?? DEFAULT_CONSUMER_PAGE, MAX_CONSUMER_PAGE);
  const remaining = (await listConsumers(context.kinesis.store, stream.id)).filter((c) => after === undefined || c.name > after);
  const page = remaining.slice(0, size);
  const more = remaining.length > page.length;
  return {
    Consumers: page.map(describeConsumer),
    NextToken: more ? await sealPageToken(context.kinesis.store, { op: OP, stream: stream.id, after: page[page.length - 1].name }) : undefined,
  };
}
