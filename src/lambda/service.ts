import type { Logger } from 'pino';
import model from '../model/lambda-2015-03-31.json' with { type: 'json' };
import type { FunctionInvoker } from '../functions/invoker.js';
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { createRestJsonHandler, type RestJsonModel, type RestRequestContext } from '../protocol/rest-json.js';
import type { HttpService } from '../protocol/router.js';
import invoke from './operations/Invoke.js';

/**
 * Lambda's Invoke API on Millrace's endpoint, for the functions Millrace runs itself
 * (`--functions DIR`) or reaches (`--lambda-endpoint`): `aws lambda invoke` and the SDKs' Invoke
 * call the same functions a Firehose transform would. Only Invoke is served: Millrace runs
 * functions, it does not manage them (no CreateFunction, no versions or aliases), so the other
 * operations of the model are not routed and get the protocol's UnknownOperationException.
 */
const FULL_MODEL = model as unknown as RestJsonModel;

export interface LambdaContext extends RestRequestContext {
  functions: FunctionInvoker;
}

type Operation = (input: any, context: LambdaContext) => Promise<Record<string, unknown> | undefined>;

const OPERATIONS: Record<string, Operation> = { Invoke: invoke };

/** The model with just the operations served, so that only they are routed. */
export const LAMBDA_MODEL: RestJsonModel = {
  ...FULL_MODEL,
  operations: Object.fromEntries(Object.keys(OPERATIONS).map((name) => [name, FULL_MODEL.operations[name]])),
};

export function createLambdaService(options: {
  functions: FunctionInvoker;
  authenticator: Authenticator;
  log: Logger;
  bodyIdleTimeoutMs: number;
}): HttpService {
  const validator = new ModelValidator(FULL_MODEL as unknown as ServiceModel, 'com.amazonaws.lambda');
  return {
    signingNames: ['lambda'],
    handle: createRestJsonHandler(
      {
        models: [LAMBDA_MODEL],
        authenticator: options.authenticator,
        parseInput: (_model, operation, input) => validator.parseInput(operation, input),
        invoke: (operation, input, context) => OPERATIONS[operation](input, { ...context, functions: options.functions }),
      },
      options.log,
      { bodyIdleTimeoutMs: options.bodyIdleTimeoutMs },
    ),
  };
}
