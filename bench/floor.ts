import { hash, randomBytes, randomUUID } from 'node:crypto';
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
 *
 * Two switches make the floor do more of what any PutRecord server must do:
 *   FLOOR_WRITES=store  also the embedded store's second put per append (the chunk directory's
 *                       12-byte header, src/store/lmdb-store.ts): the same LMDB writes as Millrace.
 *   FLOOR_WORK=aws      also the work Kinesis mandates for every PutRecord: the MD5 of the partition
 *                       key, whose hash key picks one of 4 shards (KINESIS-SPEC §4.1; the record goes
 *                       to that shard's log), and AWS's response headers: x-amzn-RequestId (a UUID),
 *                       x-amz-id-2 (72 random bytes in base64), Content-Type and Content-Length (Date
 *                       is Node's, as on both sides). Still no authentication, validation, metering,
 *                       stream look-up or sequence-number formatting.
 */
export interface Floor {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * x-amz-id-2: 72 random bytes in base64, as Millrace (src/protocol/http-exchange.ts) and S3-style
 * services send it, taken from a pool as any server would (a randomBytes call per request cost
 * the floor ~3 µs).
 */
const AMZ_ID_2_BYTES = 72;
const AMZ_ID_2_CHARS = (AMZ_ID_2_BYTES / 3) * 4;
let amzId2Pool = '';
let amzId2At = 0;
function amzId2(): string {
  if (amzId2At + AMZ_ID_2_CHARS > amzId2Pool.length) {
    amzId2Pool = randomBytes(AMZ_ID_2_BYTES * 512).toString('base64');
    amzId2At = 0;
  }
  amzId2At += AMZ_ID_2_CHARS;
  return amzId2Pool.slice(amzId2At - AMZ_ID_2_CHARS, amzId2At);
}

export async function startFloor(path: string): Promise<Floor> {
  // The options of src/store/lmdb-store.ts: flushed before a write resolves, mapped in chunks.
  const root = open({ path, maxDbs: 8, compression: false, overlappingSync: false, remapChunks: true });
  const records = root.openDB<Buffer, [string, number]>({ name: 'records', encoding: 'binary' });
  // FLOOR_WRITES=store: also the second put the embedded store makes for each append, the chunk's
  // 12-byte header in its directory (src/store/lmdb-store.ts), in the same transaction: "LMDB
  // doing the same writes" as Millrace, where the default floor writes the record alone.
  const directory = process.env.FLOOR_WRITES === 'store' ? root.openDB<Buffer, [string, number]>({ name: 'chunks', encoding: 'binary' }) : undefined;
  const aws = process.env.FLOOR_WORK === 'aws';
  const tips = new Map<string, number>();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: string) => {
        if (aws) {
          res.writeHead(status, [
            'x-amzn-RequestId', randomUUID(),
            'x-amz-id-2', amzId2(),
            'Content-Type', 'application/x-amz-json-1.1',
            'Content-Length', String(Buffer.byteLength(body)),
          ] as unknown as http.OutgoingHttpHeaders);
        } else {
          res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body) });
        }
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
      // With FLOOR_WORK=aws, the shard is the quarter of the MD5 hash-key space the key falls in.
      const shard = aws ? Math.floor(Number.parseInt(hash('md5', input.PartitionKey ?? '', 'hex').slice(0, 8), 16) / 2 ** 30) : 0;
      const log = aws ? `${input.StreamName ?? ''}/${shard}` : (input.StreamName ?? '');
      const index = tips.get(log) ?? 0;
      tips.set(log, index + 1);
      if (directory) directory.put([log, index], Buffer.from(value.subarray(0, 12)));
      records.put([log, index], value).then(
        () => answer(200, `{"ShardId":"shardId-00000000000${shard}","SequenceNumber":"${index}"}`),
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
