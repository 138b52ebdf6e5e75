import model from '../model/kinesis-2013-12-02.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import { loadOperations } from '../protocol/operation-modules.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Kinesis, KinesisContext, Operation } from './context.js';
import { registerResharding } from './domain/resharding.js';
import { registerStreamMode } from './domain/on-demand.js';
import { applyEncryptionChange, ENCRYPTION_CHANGE } from './domain/encryption.js';
import { registerWarmThroughput } from './domain/account-settings.js';
import { throughput } from './domain/throughput.js';

/** Kept for modules that took these types from here before they moved below the domain. */
export type { Kinesis, KinesisContext, Operation } from './context.js';

export const KINESIS_MODEL = model as unknown as ServiceModel;

export async function createKinesisService(kinesis: Kinesis, authenticator: Authenticator): Promise<Service> {
  const operations = await loadOperations<Operation>(new URL('./operations/', import.meta.url), KINESIS_MODEL);
  // Changes that complete when a stream leaves UPDATING (§5.1).
  registerResharding(kinesis.streams);
  registerStreamMode(kinesis.streams);
  kinesis.streams.onPending(ENCRYPTION_CHANGE, applyEncryptionChange);
  registerWarmThroughput(kinesis.streams);
  const validator = new ModelValidator(KINESIS_MODEL, 'com.amazonaws.kinesis.v20131202');
  return {
    targetPrefix: KINESIS_MODEL.metadata.targetPrefix,
    hasOperation: (name) => validator.hasOperation(name),
    authenticate: (request, body, credentials) => authenticator.authenticate(request, body, credentials),
    // Not an async function: the operation's own promise is returned as it is, without another
    // promise (and its ticks) around it; a failed check still becomes a rejection.
    invoke(name: string, body: Record<string, unknown>, context: RequestContext): Promise<unknown> {
      try {
        const input = validator.parseInput(name, body);
        throughput(kinesis).admitControlCall(name, context.account, input); // §4.9, with --enforce-limits
        const operation = operations.get(name);
        // Every operation of the model has its file; reaching this is a packaging fault.
        if (!operation) throw internalFailure();
        return operation(input, new OperationContext(context, kinesis, name));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/**
 * The request's context as an operation sees it: member by member, since spreading the request's
 * context would call its lazy abort-signal getter; a class, so that every request's context has
 * one shape (an object literal with a getter per request showed up in profiles).
 */
class OperationContext implements KinesisContext {
  readonly requestId: string;
  readonly encoding: RequestContext['encoding'];
  readonly account: string;
  readonly region: string;
  readonly credentials: RequestContext['credentials'];
  readonly log: RequestContext['log'];

  constructor(
    private readonly request: RequestContext,
    readonly kinesis: Kinesis,
    readonly operation: string,
  ) {
    this.requestId = request.requestId;
    this.encoding = request.encoding;
    this.account = request.account;
    this.region = request.region;
    this.credentials = request.credentials;
    this.log = request.log;
  }

  get signal(): AbortSignal {
    return this.request.signal;
  }
}
