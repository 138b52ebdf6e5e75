import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { FunctionInvoker, InvokeResult } from './invoker.js';
import { functionNotFound, parseFunctionName } from './function-name.js';

/**
 * The invoker the configuration asks for: a Lambda Invoke API endpoint (`--lambda-endpoint`),
 * local modules (`--functions DIR`), or none, where every function is missing as it is from an
 * account without it. The endpoint's SDK client is loaded only when it is used.
 */
export async function openFunctionInvoker(config: Config, log: Logger): Promise<FunctionInvoker> {
  const names = { region: config.region, account: config.account };
  if (config.lambdaEndpoint) {
    if (config.functionsDir) log.warn({ functionsDir: config.functionsDir }, '--lambda-endpoint is set: --functions is ignored');
    const { openLambdaEndpointInvoker } = await import('./lambda-endpoint.js');
    return openLambdaEndpointInvoker({ endpoint: config.lambdaEndpoint, ...names, log });
  }
  if (config.functionsDir) {
    if (!existsSync(config.functionsDir)) log.warn({ functionsDir: config.functionsDir }, '--functions directory does not exist (yet): every function is missing until it does');
    const { openLocalModuleInvoker } = await import('./local-modules.js');
    return openLocalModuleInvoker({
      dir: config.functionsDir,
      timeoutMs: config.functionTimeoutMs,
      concurrency: config.functionConcurrency,
      ...names,
      log,
    });
  }
  return {
    kind: 'none',
    async invoke(functionArn: string): Promise<InvokeResult> {
      throw functionNotFound(parseFunctionName(functionArn, names));
    },
    async close() {},
  };
}
