import { invalidArgument, resourceNotFound } from '../protocol/errors.js';
import { authorize } from './domain/access.js';
import { parseStreamArn } from './domain/arn.js';
import { consumerNotFound, findConsumer, parseConsumerArn } from './domain/consumers.js';
import { streamNotActive, streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';

/**
 * Where a resource policy lives (KINESIS-SPEC §3.20): a stream's in the stream itself (it goes
 * with the stream incarnation), a consumer's under `policy/{consumerArn}` (a consumer ARN names
 * one registration, so a re-registered consumer starts without one).
 */
export interface PolicyHolder {
  arn: string;
  read(): Promise<string | undefined>;
  /** undefined removes the policy. */
  write(policy: string | undefined): Promise<void>;
}

export const noPolicy = (arn: string) => resourceNotFound(`No resource policy found for resource ARN ${arn}`);

export async function policyHolder(resourceArn: string, context: KinesisContext): Promise<PolicyHolder> {
  const { store, streams } = context.kinesis;
  const consumerParts = parseConsumerArn(resourceArn);
  const location = parseStreamArn(consumerParts?.streamArn ?? resourceArn);
  if (!location) throw invalidArgument(`Invalid ResourceARN ${resourceArn}`);
  const stream = await streams.find(location, location.streamName);

  if (consumerParts) {
    const consumer = stream && (await findConsumer(store, stream.id, consumerParts.consumerName));
    const exists = consumer !== undefined && consumer.arn === resourceArn;
    const key = `policy/${resourceArn}`;
    const entry = exists ? await store.meta.get<string>(key) : undefined;
    authorize(context, location.account, resourceArn, entry?.value, exists);
    if (!exists) throw consumerNotFound(resourceArn, location.account);
    return {
      arn: resourceArn,
      read: async () => (await store.meta.get<string>(key))?.value,
      async write(policy) {
        for (;;) {
          const current = await store.meta.get<string>(key);
          const done = policy === undefined ? !current || (await store.meta.delete(key, current.revision)) : (await store.meta.put(key, policy, current?.revision ?? 0)) !== undefined;
          if (done) return;
        }
      },
    };
  }

  if (resourceArn.slice(resourceArn.indexOf(':stream/') + ':stream/'.length) !== location.streamName) {
    throw invalidArgument(`Invalid ResourceARN ${resourceArn}`);
  }
  authorize(context, location.account, resourceArn, stream?.policy, stream !== undefined);
  if (!stream) throw streamNotFound(location.streamName, location.account);
  return {
    arn: stream.arn,
    read: async () => (await streams.find(location, location.streamName))?.policy,
    async write(policy) {
      const updated = await streams.update(location, location.streamName, (s) => {
        if (s.status === 'DELETING') throw streamNotActive(s.name, s.account, s.status);
        return { ...s, policy };
      });
      if (!updated) throw streamNotFound(location.streamName, location.account);
    },
  };
}
