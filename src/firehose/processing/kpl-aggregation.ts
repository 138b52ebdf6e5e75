import { createHash } from 'node:crypto';
import protobuf from 'protobufjs/light.js';

/**
 * The Kinesis Producer Library's aggregated record (FIREHOSE-SPEC §6, awslabs/amazon-kinesis-producer
 * `aggregation-format.md`): magic, a protobuf `AggregatedRecord`, then the MD5 of the protobuf bytes.
 * Firehose de-aggregates these before Lambda and the destination; anything that does not match the
 * format exactly is an ordinary record, as the KCL treats it.
 */

/** The 4 bytes every KPL aggregate starts with. */
export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** Length of the MD5 digest that ends an aggregate. */
const MD5_LENGTH = 16;

/**
 * The proto2 schema of `aggregation-format.md`, as protobufjs JSON (no .proto parser needed). The
 * edition is named on each message: without it protobufjs gives JSON-defined fields implicit
 * presence and drops an explicit hash key index of 0.
 */
const KPL_SCHEMA = {
  nested: {
    AggregatedRecord: {
      edition: 'proto2',
      fields: {
        partition_key_table: { rule: 'repeated', type: 'string', id: 1 },
        explicit_hash_key_table: { rule: 'repeated', type: 'string', id: 2 },
        records: { rule: 'repeated', type: 'Record', id: 3 },
      },
    },
    Tag: {
      edition: 'proto2',
      fields: {
        key: { rule: 'required', type: 'string', id: 1 },
        value: { rule: 'optional', type: 'string', id: 2 },
      },
    },
    Record: {
      edition: 'proto2',
      fields: {
        partition_key_index: { rule: 'required', type: 'uint64', id: 1 },
        explicit_hash_key_index: { rule: 'optional', type: 'uint64', id: 2 },
        data: { rule: 'required', type: 'bytes', id: 3 },
        tags: { rule: 'repeated', type: 'Tag', id: 4 },
      },
    },
  },
};

/** The protobuf message type of an aggregate (exported for tests that build aggregates). */
export const AggregatedRecordType = protobuf.Root.fromJSON(KPL_SCHEMA).lookupType('AggregatedRecord');

export interface KplSubRecord {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

interface DecodedAggregate {
  partition_key_table?: string[];
  explicit_hash_key_table?: string[];
  records?: Array<{ partition_key_index?: number; explicit_hash_key_index?: number; data?: Uint8Array }>;
}

/**
 * The sub-records of a KPL aggregate, in order (their subsequence numbers are their positions), or
 * undefined when `data` is not one: wrong magic, too short, MD5 mismatch, undecodable protobuf or a
 * key index outside its table.
 */
export function deaggregateKpl(data: Buffer): KplSubRecord[] | undefined {
  if (data.length <= KPL_MAGIC.length + MD5_LENGTH || !data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) return undefined;
  const message = data.subarray(KPL_MAGIC.length, data.length - MD5_LENGTH);
  const digest = createHash('md5').update(message).digest();
  if (!digest.equals(data.subarray(data.length - MD5_LENGTH))) return undefined;
  let decoded: DecodedAggregate;
  try {
    decoded = AggregatedRecordType.toObject(AggregatedRecordType.decode(message), { longs: Number }) as DecodedAggregate;
  } catch {
    return undefined;
  }
  const keys = decoded.partition_key_table ?? [];
  const hashKeys = decoded.explicit_hash_key_table ?? [];
  const out: KplSubRecord[] = [];
  for (const record of decoded.records ?? []) {
    // proto2 `required` fields: a record without them is not an aggregate the KPL wrote.
    if (record.partition_key_index === undefined || record.data === undefined) return undefined;
    const partitionKey = keys[record.partition_key_index];
    if (partitionKey === undefined) return undefined;
    const data = record.data.length === 0 ? Buffer.alloc(0) : Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
    const sub: KplSubRecord = { data, partitionKey };
    if (record.explicit_hash_key_index !== undefined) {
      const hashKey = hashKeys[record.explicit_hash_key_index];
      if (hashKey === undefined) return undefined;
      sub.explicitHashKey = hashKey;
    }
    out.push(sub);
  }
  return out;
}

/** Builds an aggregate (tests, and a KPL stand-in for benchmarks). */
export function aggregateKpl(records: KplSubRecord[]): Buffer {
  const partitionKeys: string[] = [];
  const hashKeys: string[] = [];
  const slot = (table: string[], value: string) => {
    const at = table.indexOf(value);
    return at >= 0 ? at : table.push(value) - 1;
  };
  const message = AggregatedRecordType.encode(
    AggregatedRecordType.fromObject({
      records: records.map((record) => ({
        partition_key_index: slot(partitionKeys, record.partitionKey),
        ...(record.explicitHashKey !== undefined ? { explicit_hash_key_index: slot(hashKeys, record.explicitHashKey) } : {}),
        data: record.data,
      })),
      partition_key_table: partitionKeys,
      explicit_hash_key_table: hashKeys,
    }),
  ).finish();
  return Buffer.concat([KPL_MAGIC, message, createHash('md5').update(message).digest()]);
}
