import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Logger } from 'pino';
import { InvokeError, type FunctionInvoker, type InvokeOptions, type InvokeResult } from './invoker.js';
import { LATEST, parseFunctionName } from './function-name.js';

/**
 * Functions run by any server that speaks Lambda's Invoke API (`--lambda-endpoint`): `sam local
 * start-lambda`, LocalStack, or Lambda itself. Calls are synchronous (RequestResponse) and made once:
 * whoever invokes (Firehose's NumberOfRetries, an Analytics job) owns the retry policy.
 */

export interface LambdaEndpointOptions {
  endpoint: string;
  /** Region of names given without one; a full ARN's region wins. */
  region: string;
  account: string;
  /** Fixed credentials; by default the SDK's chain (environment, profile, SSO, container, instance). */
  credentials?: AwsCredentialIdentity;
  log?: Logger;
}

/**
 * Signed with when the chain finds nothing: local servers accept any key (LocalStack's documented
 * "test"/"test"); a real Lambda answers 403 UnrecognizedClientException, which is the truth.
 */
const LOCAL_SERVER_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'test', secretAccessKey: 'test' };

export function openLambdaEndpointInvoker(options: LambdaEndpointOptions): FunctionInvoker {
  const clients = new Map<string, LambdaClient>();
  const credentials = options.credentials ?? chainWithFallback(options.region, options.log);

  const clientFor = (region: string): LambdaClient => {
    let client = clients.get(region);
    if (!client) {
      client = new LambdaClient({ endpoint: options.endpoint, region, credentials, maxAttempts: 1 });
      clients.set(region, client);
    }
    return client;
  };

  return {
    kind: 'endpoint',
    async invoke(functionArn: string, payload: Buffer, invokeOptions: InvokeOptions = {}): Promise<InvokeResult> {
      const fn = parseFunctionName(functionArn, options);
      try {
        const output = await clientFor(fn.region).send(
          new InvokeCommand({ FunctionName: functionArn, InvocationType: invokeOptions.dryRun ? 'DryRun' : 'RequestResponse', Payload: payload }),
          { abortSignal: invokeOptions.signal },
        );
        const functionError = output.FunctionError as InvokeResult['functionError'] | undefined;
        return {
          statusCode: output.StatusCode ?? 200,
          payload: Buffer.from(output.Payload ?? new Uint8Array()),
          executedVersion: output.ExecutedVersion ?? LATEST,
          ...(functionError ? { functionError } : {}),
        };
      } catch (err) {
        throw invokeError(err, options.endpoint);
      }
    },
    async close() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

/** Lambda's answer as an InvokeError; a server that cannot be reached is Lambda's ServiceException. */
function invokeError(err: unknown, endpoint: string): unknown {
  if (err instanceof LambdaServiceException) {
    const status = err.$metadata?.httpStatusCode ?? 500;
    const reason = (err as { Reason?: string }).Reason;
    return new InvokeError(err.name, err.message, status, reason);
  }
  if ((err as Error)?.name === 'AbortError') return err;
  return new InvokeError('ServiceException', `Lambda endpoint ${endpoint} failed: ${(err as Error)?.message ?? String(err)}`, 500);
}

/**
 * The SDK's default credential chain, resolved once; when it finds nothing, the local-server
 * credentials from then on, so that each invocation does not probe the chain (and the instance
 * metadata endpoint) again.
 */
function chainWithFallback(region: string, log?: Logger): AwsCredentialIdentityProvider {
  // A client that never sends anything: its resolved config holds the SDK's memoized default chain.
  const chain = new LambdaClient({ region }).config.credentials;
  let useFallback = false;
  return async () => {
    if (useFallback) return LOCAL_SERVER_CREDENTIALS;
    try {
      return await chain();
    } catch (err) {
      useFallback = true;
      log?.info({ err: (err as Error).message }, 'no AWS credentials found: signing Lambda calls with placeholder credentials');
      return LOCAL_SERVER_CREDENTIALS;
    }
  };
}
