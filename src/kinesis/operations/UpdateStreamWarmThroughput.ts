import { invalidArgument, validationError } from '../../protocol/errors.js';
import { MAX_WARM_THROUGHPUT_MIBPS, readAccountSettings, WARM_THROUGHPUT_CHANGE } from '../domain/account-settings.js';
import { streamNotActive, streamNotFound } from '../errors.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  WarmThroughputMiBps: number;
}

/**
 * KINESIS-SPEC §3.24: on-demand streams of accounts with the minimum throughput billing commitment
 * get a warm throughput of up to 10 GiB/s. The stream is UPDATING for the configured time and
 * reaches the target as it becomes ACTIVE. (The error texts are not recorded from AWS.)
 */
export default async function updateStreamWarmThroughput(input: Input, context: KinesisContext) {
  const { kinesis } = context;
  if (input.WarmThroughputMiBps > MAX_WARM_THROUGHPUT_MIBPS) {
    throw validationError(
      `1 validation error detected: Value '${input.WarmThroughputMiBps}' at 'warmThroughputMiBps' failed to satisfy constraint: ` +
        `Member must have value less than or equal to ${MAX_WARM_THROUGHPUT_MIBPS}`,
    );
  }
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  const settings = await readAccountSettings(kinesis.store, found.account);
  if (settings.status === 'DISABLED') {
    throw invalidArgument(
      `Warm throughput requires the minimum throughput billing commitment for account ${found.account}. ` +
        'Enable it with UpdateAccountSettings.',
    );
  }
  let current = 0;
  const stream = await kinesis.streams.update(target, target.name, (s) => {
    if (s.mode !== 'ON_DEMAND') {
      throw invalidArgument(`Warm throughput is only supported for streams in ON_DEMAND mode; stream ${s.name} under account ${s.account} is PROVISIONED.`);
    }
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    current = s.warmThroughputMiBps ?? 0;
    const pending = { kind: WARM_THROUGHPUT_CHANGE, targetMiBps: input.WarmThroughputMiBps };
    return { ...s, status: 'UPDATING', statusUntil: Date.now() + kinesis.config.updateStreamMs, pending };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
  return {
    StreamARN: stream.arn,
    StreamName: stream.name,
    WarmThroughput: { TargetMiBps: input.WarmThroughputMiBps, CurrentMiBps: current },
  };
}
