import { readdir } from 'node:fs/promises';
import model from '../model/glue-2017-03-31.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Store } from '../store/store.js';
import type { GlueContext, Operation } from './context.js';
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

async function loadOperations(): Promise<Map<string, Operation>> {
  const dir = new URL('./operations/', import.meta.url);
  const operations = new Map<string, Operation>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.js')) continue;
    const name = file.slice(0, -3);
    if (!GLUE_MODEL.operations[name]) throw new Error(`glue/operations/${file} names no operation of the model`);
    const module = (await import(new URL(file, dir).href)) as { default: Operation };
    operations.set(name, module.default);
  }
  return operations;
}

export async function createGlueService(store: Store, authenticator: Authenticator): Promise<Service> {
  const operations = await loadOperations();
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
      // Member by member: spreading the request's context would call its lazy abort-signal getter.
      const operationContext: GlueContext = {
        requestId: context.requestId,
        encoding: context.encoding,
        account: context.account,
        region: context.region,
        credentials: context.credentials,
        log: context.log,
        get signal() {
          return context.signal;
        },
        catalog,
      };
      return operation(input, operationContext);
    },
  };
}
