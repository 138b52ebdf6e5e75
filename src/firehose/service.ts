import { readdir } from 'node:fs/promises';
import model from '../model/firehose-2015-08-04.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Firehose, FirehoseContext, Operation } from './context.js';
import { controlRateExceeded } from './errors.js';

export type { Firehose, FirehoseContext, Operation } from './context.js';

export const FIREHOSE_MODEL = model as unknown as ServiceModel;
/** The SigV4 service name AWS clients scope Firehose requests with (§1 fact 1). */
export const FIREHOSE_SIGNING_NAME = 'firehose';

/**
 * The model as Millrace validates it. One documented deviation (issue item 7): an HTTP endpoint
 * receiver on a developer's machine rarely has a certificate, so `http://` URLs are accepted where
 * the model's HttpEndpointUrl pattern says `https://.*`.
 */
export const VALIDATED_MODEL: ServiceModel = {
  ...FIREHOSE_MODEL,
  shapes: { ...FIREHOSE_MODEL.shapes, HttpEndpointUrl: { ...FIREHOSE_MODEL.shapes.HttpEndpointUrl, pattern: 'https?://.*' } },
};

/** Loads every operation module: adding an operation is adding its file. */
async function loadOperations(): Promise<Map<string, Operation>> {
  const dir = new URL('./operations/', import.meta.url);
  const operations = new Map<string, Operation>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.js')) continue;
    const name = file.slice(0, -3);
    if (!FIREHOSE_MODEL.operations[name]) throw new Error(`firehose/operations/${file} names no operation of the model`);
    const module = (await import(new URL(file, dir).href)) as { default: Operation };
    operations.set(name, module.default);
  }
  return operations;
}

/** Firehose on the shared JSON 1.1 / CBOR pipeline: target prefix Firehose_20150804. */
export async function createFirehoseService(firehose: Firehose, authenticator: Authenticator): Promise<Service> {
  const operations = await loadOperations();
  const validator = new ModelValidator(VALIDATED_MODEL, 'com.amazonaws.firehose.v20150804');
  return {
    targetPrefix: FIREHOSE_MODEL.metadata.targetPrefix,
    hasOperation: (name) => validator.hasOperation(name),
    authenticate: (request, body, credentials) => authenticator.authenticate(request, body, credentials),
    async invoke(name: string, body: Record<string, unknown>, context: RequestContext) {
      const input = validator.parseInput(name, body);
      if (!firehose.throughput.admitControlCall(name, context.account)) throw controlRateExceeded(name, context.account); // §4, --enforce-limits
      const operation = operations.get(name);
      // Every operation of the model has its file; reaching this is a packaging fault.
      if (!operation) throw internalFailure();
      // Member by member: spreading the request's context would call its lazy abort-signal getter.
      const operationContext: FirehoseContext = {
        requestId: context.requestId,
        encoding: context.encoding,
        account: context.account,
        region: context.region,
        credentials: context.credentials,
        log: context.log,
        get signal() {
          return context.signal;
        },
        firehose,
        operation: name,
      };
      return operation(input, operationContext);
    },
  };
}
