import { streamNotActive, streamNotFound } from '../errors.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

interface Input {
  StreamARN?: string;
  /** 1024–10240, checked by the model (§3.25). */
  MaxRecordSizeInKiB: number;
}

/**
 * KINESIS-SPEC §3.25: the largest record (data + partition key) PutRecord(s) accept from now on,
 * stored in the stream; DescribeStreamSummary reports it.
 */
export default async function updateMaxRecordSize(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  const stream = await context.kinesis.streams.update(target, target.name, (s) => {
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    return { ...s, maxRecordSizeKiB: input.MaxRecordSizeInKiB };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
}
