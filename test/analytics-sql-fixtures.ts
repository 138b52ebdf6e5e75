import { compileJob, VirtualClock, type Job, type SinkRecord } from '../src/analytics/sql/index.js';

/** The Flink documentation's Bid table (window-tvf.md / window-agg.md), bidtime on 2020-04-15. */
export const BID_ROWS: [string, number, string, string][] = [
  ['08:05', 4.0, 'C', 'supplier1'],
  ['08:07', 2.0, 'A', 'supplier1'],
  ['08:09', 5.0, 'D', 'supplier2'],
  ['08:11', 3.0, 'B', 'supplier2'],
  ['08:13', 1.0, 'E', 'supplier1'],
  ['08:17', 6.0, 'F', 'supplier2'],
];

export const BID_DDL = `
CREATE TABLE Bid (
  bidtime TIMESTAMP(3),
  price DECIMAL(10, 2),
  item STRING,
  supplier_id STRING,
  WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kinesis',
  'stream.arn' = 'arn:aws:kinesis:us-east-1:000000000000:stream/bids',
  'aws.region' = 'us-east-1',
  'source.init.position' = 'TRIM_HORIZON',
  'format' = 'json'
);`;

export function bidRecord(time: string, price: number, item: string, supplier: string, seq?: number): { data: string; sequenceNumber?: string } {
  return { data: JSON.stringify({ bidtime: `2020-04-15 ${time}:00`, price, item, supplier_id: supplier }), sequenceNumber: seq === undefined ? undefined : String(seq) };
}

export const at = (hhmm: string): number => Date.parse(`2020-04-15T${hhmm}:00Z`);

/** Compile a job on a virtual clock and collect what every sink receives. */
export function run(script: string, start = 0): { job: Job; clock: VirtualClock; out: Record<string, SinkRecord[]> } {
  const clock = new VirtualClock(start);
  const job = compileJob(script, { clock });
  const out: Record<string, SinkRecord[]> = {};
  for (const [name, sink] of Object.entries(job.sinks)) {
    out[name] = [];
    sink.subscribe((recs) => out[name]!.push(...recs));
  }
  return { job, clock, out };
}

export const text = (r: SinkRecord): string => new TextDecoder().decode(r.data);
/** Sink records as text lines, sorted (Flink does not order rows of one window). */
export const lines = (recs: SinkRecord[] | undefined): string[] => (recs ?? []).map(text).sort();
