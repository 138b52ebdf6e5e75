import model from '../model/firehose-2015-08-04.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import { loadOperations, operationContext } from '../protocol/operation-modules.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Firehose, Operation } from './context.js';
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

/** Firehose on the shared JSON 1.1 / CBOR pipeline: target prefix Firehose_20150804. */
export async function createFirehoseService(firehose: Firehose, authenticator: Authenticator): Promise<Service> {
  const operations = await loadOperations<Operation>(new URL('./operations/', import.meta.url), FIREHOSE_MODEL);
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
      return operation(input, operationContext(context, { firehose, operation: name }));
    },
  };
}
