import model from '../model/glue-2017-03-31.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import { loadOperations, operationContext } from '../protocol/operation-modules.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Store } from '../store/store.js';
import type { Operation } from './context.js';
import { DataCatalog } from './domain/data-catalog.js';

/**
 * The Glue Data Catalog operations a Firehose record format conversion needs (and Terraform's
 * aws_glue_catalog_database / aws_glue_catalog_table use: they also read GetTags and
 * GetPartitionIndexes), on the same port: JSON 1.1, target prefix `AWSGlue`, SigV4 signing name
 * `glue`. Any other Glue operation is unknown (UnknownOperationException).
 *
 * The model (src/model/glue-2017-03-31.json) is botocore's `data/glue/2017-03-31/service-2.json.gz`
 * (version in its metadata.source) reduced to these operations: their `name`, `http`, `input`,
 * `output` and `errors`, every shape their inputs, outputs and errors reach, and no documentation.
 * To regenerate it, walk the shapes from the operations the same way and drop `documentation`.
 */
export const GLUE_MODEL = model as unknown as ServiceModel;
/** The SigV4 service name AWS clients scope Glue requests with. */
export const GLUE_SIGNING_NAME = 'glue';

export async function createGlueService(store: Store, authenticator: Authenticator): Promise<Service> {
  const operations = await loadOperations<Operation>(new URL('./operations/', import.meta.url), GLUE_MODEL);
  const catalog = new DataCatalog(store.meta);
  const validator = new ModelValidator(GLUE_MODEL, 'com.amazonaws.glue.v20170331');
  return {
    targetPrefix: GLUE_MODEL.metadata.targetPrefix,
    hasOperation: (name) => operations.has(name),
    authenticate: (request, body, credentials) => authenticator.authenticate(request, body, credentials),
    async invoke(name: string, body: Record<string, unknown>, context: RequestContext) {
      const input = validator.parseInput(name, body);
      const operation = operations.get(name);
      if (!operation) throw internalFailure();
      return operation(input, operationContext(context, { catalog }));
    },
  };
}
