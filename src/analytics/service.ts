import { readdir } from 'node:fs/promises';
import v1Model from '../model/kinesisanalytics-2015-08-14.json' with { type: 'json' };
import v2Model from '../model/kinesisanalyticsv2-2018-05-23.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { internalFailure } from '../protocol/errors.js';
import type { RequestContext, Service } from '../protocol/pipeline.js';
import type { Analytics, AnalyticsContext, Operation } from './context.js';
import type { ManagingApi } from './domain/application.js';

export type { Analytics, AnalyticsContext, Operation } from './context.js';

/** v1, Kinesis Data Analytics for SQL (ANALYTICS-SPEC §2.1): target prefix KinesisAnalytics_20150814. */
export const ANALYTICS_V1_MODEL = v1Model as unknown as ServiceModel;

/**
 * The v1 model as Millrace validates it: its KinesisAnalyticsARN pattern is Java's, with possessive
 * quantifiers (`\d{1}+`, `\d{12}+`) that JavaScript's RegExp refuses; without backtracking into them
 * they match exactly what the greedy `\d{1}`, `\d{12}` match.
 */
export const VALIDATED_V1_MODEL: ServiceModel = {
  ...ANALYTICS_V1_MODEL,
  shapes: {
    ...ANALYTICS_V1_MODEL.shapes,
    KinesisAnalyticsARN: { ...ANALYTICS_V1_MODEL.shapes.KinesisAnalyticsARN, pattern: ANALYTICS_V1_MODEL.shapes.KinesisAnalyticsARN.pattern!.replace(/\}\+/g, '}') },
  },
};
/** v2, Managed Service for Apache Flink: target prefix KinesisAnalytics_20180523. */
export const ANALYTICS_V2_MODEL = v2Model as unknown as ServiceModel;
/** Both APIs' SigV4 service name (§1 fact 1). */
export const ANALYTICS_SIGNING_NAME = 'kinesisanalytics';

/** Loads every operation module of one API: adding an operation is adding its file. */
async function loadOperations(folder: 'v1' | 'v2', model: ServiceModel): Promise<Map<string, Operation>> {
  const dir = new URL(`./operations/${folder}/`, import.meta.url);
  const operations = new Map<string, Operation>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.js')) continue;
    const name = file.slice(0, -3);
    if (!model.operations[name]) throw new Error(`analytics/operations/${folder}/${file} names no operation of the model`);
    const module = (await import(new URL(file, dir).href)) as { default: Operation };
    operations.set(name, module.default);
  }
  return operations;
}

async function createService(analytics: Analytics, authenticator: Authenticator, api: ManagingApi): Promise<Service> {
  const v1 = api === 'kinesisanalytics';
  const model = v1 ? VALIDATED_V1_MODEL : ANALYTICS_V2_MODEL;
  const operations = await loadOperations(v1 ? 'v1' : 'v2', model);
  const validator = new ModelValidator(model, v1 ? 'com.amazonaws.kinesisanalytics.v20150814' : 'com.amazonaws.kinesisanalyticsv2.v20180523');
  return {
    targetPrefix: model.metadata.targetPrefix,
    hasOperation: (name) => validator.hasOperation(name),
    authenticate: (request, body, credentials) => authenticator.authenticate(request, body, credentials),
    async invoke(name: string, body: Record<string, unknown>, context: RequestContext) {
      const input = validator.parseInput(name, body);
      const operation = operations.get(name);
      // Every operation of the model has its file; reaching this is a packaging fault.
      if (!operation) throw internalFailure();
      // Member by member: spreading the request's context would call its lazy abort-signal getter.
      const operationContext: AnalyticsContext = {
        requestId: context.requestId,
        encoding: context.encoding,
        account: context.account,
        region: context.region,
        credentials: context.credentials,
        log: context.log,
        get signal() {
          return context.signal;
        },
        analytics,
        api,
        operation: name,
      };
      return operation(input, operationContext);
    },
  };
}

/** Both Analytics APIs on the shared JSON 1.1 pipeline, over one application namespace: [v2, v1]. */
export async function createAnalyticsServices(analytics: Analytics, authenticator: Authenticator): Promise<Service[]> {
  return [await createService(analytics, authenticator, 'kinesisanalyticsv2'), await createService(analytics, authenticator, 'kinesisanalytics')];
}
