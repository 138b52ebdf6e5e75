import { AwsError } from '../../protocol/errors.js';
import { InvokeError } from '../../functions/invoker.js';
import type { LambdaContext } from '../service.js';

interface InvokeInput {
  FunctionName: string;
  InvocationType?: 'Event' | 'RequestResponse' | 'DryRun';
  Qualifier?: string;
  Payload?: Buffer;
}

/** Lambda's statuses for the three invocation types (the model's InvocationResponse.StatusCode). */
const STATUS = { RequestResponse: 200, Event: 202, DryRun: 204 } as const;

/**
 * Invoke: runs the function and answers with its result. RequestResponse waits for it; Event
 * answers 202 at once and runs it in the background (its result is dropped, as Lambda drops an
 * asynchronous invocation's result without a destination); DryRun only checks that it exists.
 */
export default async function Invoke(input: InvokeInput, context: LambdaContext): Promise<Record<string, unknown>> {
  const type = input.InvocationType ?? 'RequestResponse';
  const target = input.Qualifier ? `${input.FunctionName}:${input.Qualifier}` : input.FunctionName;
  const payload = input.Payload && input.Payload.length ? input.Payload : Buffer.from('{}');
  try {
    if (type === 'DryRun') {
      await context.functions.invoke(target, payload, { dryRun: true });
      return { StatusCode: STATUS.DryRun };
    }
    if (type === 'Event') {
      context.functions
        .invoke(target, payload)
        .catch((err) => context.log.warn({ err, function: target }, 'asynchronous invocation failed'));
      return { StatusCode: STATUS.Event };
    }
    const result = await context.functions.invoke(target, payload);
    return {
      StatusCode: result.statusCode,
      FunctionError: result.functionError,
      ExecutedVersion: result.executedVersion,
      Payload: result.payload,
    };
  } catch (err) {
    if (err instanceof InvokeError) throw new AwsError(err.type, err.message, err.status);
    throw err;
  }
}
