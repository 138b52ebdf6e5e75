import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { open } from 'lmdb';

/**
 * The floor under PutRecord (issue #20 §5): a bare node:http server doing the work a PutRecord
 * cannot avoid, and nothing else: read the body, parse the JSON, decode the base64 data, append the
 * record to an LMDB log opened as Millrace opens its own (committed and flushed before the answer,
 * concurrent requests sharing a commit), and answer a JSON body with a shard id and a sequence
 * number. No routing, authentication, validation, metering or AWS headers: what Millrace does on
 * top of this is what the ratio to the floor measures.
 */
export interface Floor {
  endpoint: string;
  close(): Promise<void>;
}

export async function startFloor(path: string): Promise<Floor> {
  // The options of src/store/lmdb-store.ts: flushed before a write resolves, mapped in chunks.
  const root = open({ path, maxDbs: 8, compression: false, overlappingSync: false, remapChunks: true });
  const records = root.openDB<Buffer, [string, number]>({ name: 'records', encoding: 'binary' });
  // FLOOR_WRITES=store: also the second put the embedded store makes for each append, the chunk's
  // 12-byte header in its directory (src/store/lmdb-store.ts), in the same transaction: "LMDB
  // doing the same writes" as Millrace, where the default floor writes the record alone.
  const directory = process.env.FLOOR_WRITES === 'store' ? root.openDB<Buffer, [string, number]>({ name: 'chunks', encoding: 'binary' }) : undefined;
  const tips = new Map<string, number>();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: string) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
      let input: { StreamName?: string; Data?: string; PartitionKey?: string };
      try {
        input = JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'));
      } catch {
        return answer(400, '{"__type":"SerializationException"}');
      }
      if (req.headers['x-amz-target'] !== 'Kinesis_20131202.PutRecord') return answer(200, '{}');
      const data = Buffer.from(input.Data ?? '', 'base64');
      const partitionKey = Buffer.from(input.PartitionKey ?? '', 'utf8');
      // A record as a log stores it: key length, key, data.
      const value = Buffer.allocUnsafe(2 + partitionKey.length + data.length);
      value.writeUInt16BE(partitionKey.length, 0);
      partitionKey.copy(value, 2);
      data.copy(value, 2 + partitionKey.length);
      const log = input.StreamName ?? '';
      const index = tips.get(log) ?? 0;
      tips.set(log, index + 1);
      if (directory) directory.put([log, index], Buffer.from(value.subarray(0, 12)));
      records.put([log, index], value).then(
        () => answer(200, `{"ShardId":"shardId-000000000000","SequenceNumber":"${index}"}`),
        () => answer(500, '{"__type":"InternalFailure"}'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await root.close();
    },
  };
}
