import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { StreamDeclaration } from '../config.js';
import { AwsError } from '../protocol/errors.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';

/** How often a stream or consumer that is CREATING is looked at again while start-up waits for it. */
const ACTIVE_POLL_MS = 50;
/** How long start-up waits out a refusal that clears with time (the CREATING-at-once limit, --enforce-limits rates). */
const RETRY_PAUSE_MS = 200;

/**
 * Streams declared at start-up (`--stream`, MILLRACE_STREAMS, the config file), made to exist and
 * be ACTIVE before the port opens, so that "port open" means "ready". They go through the
 * operations themselves, so names and counts are checked with AWS's messages; a stream that
 * exists is left as it is (whatever its shards), and only consumers it lacks are registered.
 */
export async function declareStreams(
  kinesis: Service,
  declarations: StreamDeclaration[],
  scope: { account: string; region: string },
  log: Logger,
): Promise<void> {
  if (declarations.length === 0) return;
  const controller = new AbortController();
  const context: RequestContext = {
    requestId: 'start-up',
    encoding: 'json',
    account: scope.account,
    region: scope.region,
    credentials: { accessKeyId: 'millrace-start-up', region: scope.region, form: 'header' },
    signal: controller.signal,
    log,
  };
  const call = async (operation: string, input: Record<string, unknown>): Promise<any> => {
    for (;;) {
      try {
        return await kinesis.invoke(operation, input, context);
      } catch (err) {
        if (err instanceof AwsError && err.type === 'LimitExceededException') {
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        throw err;
      }
    }
  };
  const describe = async (name: string) => (await call('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary;

  for (const declared of declarations) {
    try {
      const created = await createUnlessPresent(call, declared);
      let summary = await describe(declared.name);
      while (summary.StreamStatus !== 'ACTIVE') {
        await sleep(ACTIVE_POLL_MS);
        summary = await describe(declared.name);
      }
      if (created && declared.retentionHours !== undefined && declared.retentionHours !== summary.RetentionPeriodHours) {
        const operation = declared.retentionHours > summary.RetentionPeriodHours ? 'IncreaseStreamRetentionPeriod' : 'DecreaseStreamRetentionPeriod';
        await call(operation, { StreamName: declared.name, RetentionPeriodHours: declared.retentionHours });
        while ((summary = await describe(declared.name)).StreamStatus !== 'ACTIVE') await sleep(ACTIVE_POLL_MS);
      }
      for (const consumer of declared.consumers) await registerUnlessPresent(call, summary.StreamARN, consumer);
      // A created stream has its lifecycle line already; one that was there is worth a word.
      if (!created) log.info({ stream: declared.name, account: scope.account, region: scope.region }, 'declared stream exists: left as it is');
    } catch (err) {
      if (err instanceof AwsError) throw new Error(`stream ${declared.name}: ${err.type}: ${err.message}`);
      throw err;
    }
  }
}

type Call = (operation: string, input: Record<string, unknown>) => Promise<any>;

/** True when the stream was created now; false when one of that name was there already. */
async function createUnlessPresent(call: Call, declared: StreamDeclaration): Promise<boolean> {
  const input: Record<string, unknown> = { StreamName: declared.name, StreamModeDetails: { StreamMode: declared.mode } };
  if (declared.mode === 'PROVISIONED') input.ShardCount = declared.shards ?? 1;
  try {
    await call('CreateStream', input);
    return true;
  } catch (err) {
    if (err instanceof AwsError && err.type === 'ResourceInUseException') return false;
    throw err;
  }
}

async function registerUnlessPresent(call: Call, streamArn: string, name: string): Promise<void> {
  try {
    await call('RegisterStreamConsumer', { StreamARN: streamArn, ConsumerName: name });
  } catch (err) {
    if (!(err instanceof AwsError && err.type === 'ResourceInUseException')) throw err;
  }
  while ((await call('DescribeStreamConsumer', { StreamARN: streamArn, ConsumerName: name })).ConsumerDescription.ConsumerStatus !== 'ACTIVE') {
    await sleep(ACTIVE_POLL_MS);
  }
}
