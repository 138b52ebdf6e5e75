import { epochDate } from '../domain/time.js';
import { listConsumers } from '../domain/consumers.js';
import { enhancedMonitoring, openShards } from '../domain/stream.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
}

/** KINESIS-SPEC §3.4 */
export default async function describeStreamSummary(input: Input, context: KinesisContext) {
  const stream = await requireStream(streamTarget(input, context), context);
  // Settled, so that a consumer whose deregistration is complete no longer counts.
  const consumers = await listConsumers(context.kinesis.store, stream.id);
  return {
    StreamDescriptionSummary: {
      StreamName: stream.name,
      StreamARN: stream.arn,
      StreamStatus: stream.status,
      StreamModeDetails: { StreamMode: stream.mode },
      RetentionPeriodHours: stream.retentionHours,
      StreamCreationTimestamp: epochDate(stream.createdAt),
      EnhancedMonitoring: enhancedMonitoring(stream),
      EncryptionType: stream.encryption.type,
      KeyId: stream.encryption.keyId,
      OpenShardCount: stream.status === 'CREATING' ? 0 : openShards(stream).length,
      ConsumerCount: consumers.length,
      MaxRecordSizeInKiB: stream.maxRecordSizeKiB,
      WarmThroughput:
        stream.warmThroughputMiBps === undefined
          ? undefined
          : { TargetMiBps: stream.warmThroughputMiBps, CurrentMiBps: stream.warmThroughputMiBps },
    },
  };
}
