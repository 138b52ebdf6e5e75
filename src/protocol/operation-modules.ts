import { readdir } from 'node:fs/promises';
import type { ServiceModel } from '../model/service-model.js';
import type { RequestContext } from './pipeline.js';

/**
 * What every JSON-protocol service (Kinesis, Firehose, Glue, …) does the same way: one module per
 * operation, found by file name, and the request's context handed to the operation with the
 * service's own members beside it.
 */

/**
 * Loads every module of `dir` (a service's `operations/` folder, beside its compiled service.js):
 * adding an operation is adding its file. A file that names no operation of `model` is a
 * packaging fault and fails the start.
 */
export async function loadOperations<Operation>(dir: URL, model: ServiceModel | { hasOperation(name: string): boolean }): Promise<Map<string, Operation>> {
  const known = 'operations' in model ? (name: string) => model.operations[name] !== undefined : (name: string) => model.hasOperation(name);
  const operations = new Map<string, Operation>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.js')) continue;
    const name = file.slice(0, -3);
    if (!known(name)) throw new Error(`${dir.pathname}${file} names no operation of the service's model`);
    const module = (await import(new URL(file, dir).href)) as { default: Operation };
    operations.set(name, module.default);
  }
  return operations;
}

/**
 * The request's context as an operation sees it, with `members` added: member by member, since
 * spreading the request's context would call its lazy abort-signal getter.
 */
export function operationContext<T extends object>(context: RequestContext, members: T): RequestContext & T {
  return Object.assign(
    {
      requestId: context.requestId,
      encoding: context.encoding,
      account: context.account,
      region: context.region,
      credentials: context.credentials,
      log: context.log,
      get signal() {
        return context.signal;
      },
    },
    members,
  );
}
