import { invalidArgument } from '../protocol/errors.js';
import { authorize } from './domain/access.js';
import { parseStreamArn, streamArn } from './domain/arn.js';
import type { Scope } from './domain/streams.js';
import type { StreamMeta } from './domain/stream.js';
import { noStreamIdentifier, streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';

/** The stream an operation addresses, by `StreamName`, `StreamARN` or both (KINESIS-SPEC §2.1). */
export interface StreamTarget extends Scope {
  name: string;
}

export function streamTarget(input: { StreamName?: string; StreamARN?: string }, context: KinesisContext): StreamTarget {
  if (input.StreamARN === undefined) {
    if (input.StreamName === undefined) throw noStreamIdentifier();
    return { account: context.account, region: context.region, name: input.StreamName };
  }
  const location = parseStreamArn(input.StreamARN);
  if (!location) throw invalidArgument(`Invalid StreamARN ${input.StreamARN}`);
  if (input.StreamName !== undefined && input.StreamName !== location.streamName) {
    throw invalidArgument(`StreamName ${input.StreamName} does not match the stream of StreamARN ${input.StreamARN}`);
  }
  return { account: location.account, region: location.region, name: location.streamName };
}

/** The addressed stream, or AWS's not-found error (named by stream, even when addressed by ARN). */
export async function requireStream(target: StreamTarget, context: KinesisContext): Promise<StreamMeta> {
  const stream = await context.kinesis.streams.find(target, target.name);
  // Another account's stream, by ARN: only through its resource policy (§1.7, §3.20).
  authorize(context, target.account, stream?.arn ?? streamArn(target.region, target.account, target.name), stream?.policy, stream !== undefined);
  if (!stream) throw streamNotFound(target.name, target.account);
  return stream;
}
