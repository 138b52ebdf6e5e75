import { uniformScalingPlan } from '../domain/resharding.js';
import { withinWindow } from '../domain/rolling-window.js';
import { openShards, type StreamMeta } from '../domain/stream.js';
import {
  MAX_SHARDS_PER_STREAM,
  SCALINGS_PER_DAY,
  accountOpenShards,
  checkAccountShardLimit,
  overStreamShardMaximum,
  requireReshardable,
  scaleDownBelowHalf,
  scaleUpOverDouble,
  startReshard,
  tooManyScalings,
} from '../reshard-checks.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  TargetShardCount: number;
  /** Only UNIFORM_SCALING exists; the model rejects anything else. */
  ScalingType: 'UNIFORM_SCALING';
}

/**
 * KINESIS-SPEC §3.13. Checks: stream → mode → state → ≤ 2× open → ≥ ½ open (rounded so that
 * 3 → 2 is allowed: `target * 2 >= open`) → ≤ 10,000 per stream → account shard limit → 10 scalings
 * per rolling 24 h. A target equal to the open count succeeds without a change (UNVERIFIED).
 */
export default async function updateShardCount(input: Input, context: KinesisContext) {
  const target = streamTarget(input, context);
  const wanted = input.TargetShardCount;
  const check = (found: StreamMeta | undefined, accountOpen?: number): StreamMeta => {
    const stream = requireReshardable(found, target);
    const open = openShards(stream).length;
    if (wanted === open) return stream;
    if (wanted > open * 2) throw scaleUpOverDouble(open, wanted);
    if (wanted * 2 < open) throw scaleDownBelowHalf(open, wanted);
    if (wanted > MAX_SHARDS_PER_STREAM) throw overStreamShardMaximum(open, wanted);
    if (accountOpen !== undefined) checkAccountShardLimit(context, target, accountOpen, wanted - open);
    if (withinWindow(stream.scalingTimes, Date.now()).length >= SCALINGS_PER_DAY) throw tooManyScalings(stream);
    return stream;
  };

  const found = await context.kinesis.streams.find(target, target.name);
  const stream = check(found, found?.mode === 'PROVISIONED' ? await accountOpenShards(context, target) : undefined);
  const current = openShards(stream).length;
  if (wanted !== current) {
    await startReshard(context, target, (latest) => {
      if (openShards(check(latest)).length === wanted) return undefined;
      return { steps: uniformScalingPlan(latest, wanted), also: { scalingTimes: [...withinWindow(latest.scalingTimes, Date.now()), Date.now()] } };
    });
  }
  return { StreamName: stream.name, StreamARN: stream.arn, CurrentShardCount: current, TargetShardCount: wanted };
}
