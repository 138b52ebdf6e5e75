import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { drive } from './load.js';
import { createStream, type Budget, type Metric } from './scenarios.js';
import { WireClient } from './wire.js';

const SDK_PUT_RECORDS = { perCall: 500, dataBytes: 100, producers: 8, shards: 4 };

/**
 * PutRecords through @aws-sdk/client-kinesis: what an application using the SDK sees, SDK
 * serialisation and signing included. `http2` uses the client's default handler (HTTP/2, h2c on an
 * http:// endpoint); otherwise NodeHttpHandler over a keep-alive HTTP/1.1 agent.
 */
export async function sdkPutRecordsScenario(endpoint: string, budget: Budget, http2: boolean): Promise<Metric[]> {
  const { perCall, dataBytes, producers, shards } = SDK_PUT_RECORDS;
  const stream = http2 ? 'bench-sdk-h2' : 'bench-sdk-h1';
  const setup = new WireClient(endpoint, 1);
  try {
    await createStream(setup, stream, shards);
  } finally {
    setup.close();
  }
  const agent = new Agent({ keepAlive: true, maxSockets: producers });
  const client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: http2 ? undefined : new NodeHttpHandler({ httpAgent: agent }),
    maxAttempts: 1,
  });
  try {
    const batches: PutRecordsRequestEntry[][] = Array.from({ length: 16 }, () =>
      Array.from({ length: perCall }, (_, i) => ({ Data: randomBytes(dataBytes), PartitionKey: `pk-${i}-${randomBytes(4).toString('hex')}` })),
    );
    let next = 0;
    const result = await drive({ concurrency: producers, seconds: budget.seconds, maxRequests: 1e7 }, async () => {
      const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: batches[next++ % batches.length]! }));
      const accepted = perCall - (out.FailedRecordCount ?? 0);
      return { units: accepted, bytes: accepted * dataBytes };
    });
    if (result.errors > 0) throw new Error(`SDK PutRecords: ${result.errors} failed, first: ${result.firstError}`);
    return [
      {
        label: `SDK PutRecords 500 × 100 B, 8 producers (${http2 ? 'default HTTP/2 handler' : 'NodeHttpHandler, HTTP/1.1'})`,
        value: result.units / result.seconds,
        unit: 'records/s',
        better: 'higher',
      },
    ];
  } finally {
    client.destroy();
    agent.destroy();
  }
}
