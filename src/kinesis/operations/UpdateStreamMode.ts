import { invalidArgument, limitExceeded } from '../../protocol/errors.js';
import { STREAM_MODE, type StreamModeChange } from '../domain/on-demand.js';
import { ON_DEMAND_STREAM_LIMIT, openShards, type StreamMeta, type StreamMode } from '../domain/stream.js';
import { streamNotActive, streamNotFound } from '../errors.js';
import { accountOpenShards, checkAccountShardLimit } from '../reshard-checks.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { logStreamEvent } from '../domain/lifecycle-log.js';
import { withinWindow } from '../domain/rolling-window.js';

/** §3.23: capacity-mode switches per stream per rolling 24 hours (AWS docs). */
export const MODE_SWITCHES_PER_DAY = 2;

interface Input {
  StreamARN: string;
  StreamModeDetails: { StreamMode: StreamMode };
  WarmThroughputMiBps?: number;
}

/**
 * KINESIS-SPEC §3.23: ACTIVE → UPDATING (configured delay) → ACTIVE in the new mode, shards kept.
 * Choices where AWS is UNVERIFIED: asking for the mode the stream already has succeeds without a
 * change (it stays ACTIVE), so that declarative tools may re-apply their state; switching to
 * ON_DEMAND obeys the on-demand stream count limit (CreateStream's text), switching to PROVISIONED
 * the account shard limit with the stream's open shards; WarmThroughputMiBps with PROVISIONED is
 * refused as CreateStream refuses ShardCount with ON_DEMAND. AWS documents two switches per
 * stream within 24 hours; a third is LimitExceededException (text ours, AWS's unrecorded).
 */
export default async function updateStreamMode(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const mode = input.StreamModeDetails.StreamMode;
  if (mode === 'PROVISIONED' && input.WarmThroughputMiBps !== undefined) {
    throw invalidArgument('WarmThroughputMiBps is not expected when StreamMode=PROVISIONED');
  }
  const { streams, config } = context.kinesis;
  const check = (stream: StreamMeta | undefined): stream is StreamMeta => {
    if (!stream) throw streamNotFound(target.name, target.account);
    if (stream.status !== 'ACTIVE') throw streamNotActive(stream.name, stream.account, stream.status);
    if (stream.mode === mode) return false;
    if (withinWindow(stream.modeSwitchTimes, Date.now()).length >= MODE_SWITCHES_PER_DAY) {
      throw limitExceeded(
        `UpdateStreamMode cannot switch the capacity mode of stream ${stream.name} under account ${stream.account} more than ${MODE_SWITCHES_PER_DAY} times in a rolling 24-hour period.`,
      );
    }
    return true;
  };

  const stream = await streams.find(target, target.name);
  if (!check(stream)) return;
  const others = (await streams.list(target)).filter((s) => s.id !== stream.id);
  if (mode === 'ON_DEMAND') {
    const onDemand = others.filter((s) => s.mode === 'ON_DEMAND').length;
    if (onDemand >= ON_DEMAND_STREAM_LIMIT) {
      throw limitExceeded(
        `This request would exceed the on-demand stream count limit for the account ${target.account} in ${target.region}. ` +
          `Current on-demand stream count for the account: ${onDemand}. Limit: ${ON_DEMAND_STREAM_LIMIT}.`,
      );
    }
  } else {
    checkAccountShardLimit(context, target, await accountOpenShards(context, target), openShards(stream).length);
  }

  const pending: StreamModeChange = { kind: STREAM_MODE, mode, warmThroughputMiBps: input.WarmThroughputMiBps };
  let from: string | undefined;
  const stored = await streams.update(target, target.name, (latest) => {
    from = undefined;
    if (!check(latest)) return undefined;
    from = latest.mode;
    const now = Date.now();
    return { ...latest, modeSwitchTimes: [...withinWindow(latest.modeSwitchTimes, now), now], status: 'UPDATING', statusUntil: now + config.updateStreamMs, pending };
  });
  if (stored && from) logStreamEvent(context.log, stored, 'mode changed', { from, to: mode });
}
