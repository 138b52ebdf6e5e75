/**
 * A Millrace process for the Firehose delivery crash and take-over tests: serves a data directory
 * (or joins a NATS cluster when given nats://…), prints its endpoint as one JSON line, then obeys
 * lines on stdin: `seed <json>` writes a delivery stream and appends records to its ingest log
 * (durable before the answer, as PutRecord acknowledges), `holds <lease>` says whether this node
 * holds a lease. Runs until it is killed.
 */
import { createInterface } from 'node:readline';
import { startMillrace } from '../src/server.js';
import { deliveryStreamKey, ingestLogName, type DeliveryStreamDocument } from '../src/firehose/domain/delivery-stream.js';

const target = process.argv[2];
if (!target) throw new Error('usage: firehose-delivery-child <dataDir | nats://…>');
const server = await startMillrace(
  target.startsWith('nats://')
    ? { port: 0, host: '127.0.0.1', store: target, replicas: 3, logLevel: 'silent' }
    : { port: 0, host: '127.0.0.1', dataDir: target, logLevel: 'silent' },
);
process.stdout.write(JSON.stringify({ endpoint: server.endpoint }) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...rest] = line.split(' ');
  const argument = rest.join(' ');
  if (command === 'seed') {
    const { doc, bucket, records } = JSON.parse(argument) as { doc: DeliveryStreamDocument; bucket: string; records: string[] };
    if (!(await server.objects.headBucket(bucket))) await server.objects.createBucket(bucket, doc.region);
    const key = deliveryStreamKey(doc.account, doc.region, doc.name);
    if (!(await server.store.meta.get(key))) await server.store.meta.put(key, doc, 0);
    await server.delivery.rescan();
    const stored = await server.store.records.append(ingestLogName(doc), records.map((data) => ({ partitionKey: '', data: Buffer.from(data) })));
    process.stdout.write(JSON.stringify({ seeded: stored.length }) + '\n');
  } else if (command === 'holds') {
    process.stdout.write(JSON.stringify({ holds: server.leases.held().some((lease) => lease.name === argument) }) + '\n');
  }
}
