import { randomUUID } from 'node:crypto';
import type { TableDef } from './catalog.js';
import type { Field } from './expr.js';
import { createFormat, type Format } from './formats.js';
import type { Out, RowKind, RuntimeContext } from './runtime.js';
import type { SqlType } from './types.js';
import { castFn, valueToString, type Row } from './values.js';

/** One row written to a sink table, encoded with its format (kinesis, firehose, filesystem) or as print text. */
export interface SinkRecord {
  /** +I for append-only results; print/blackhole sinks also receive -U/+U/-D. */
  kind: RowKind;
  /** Column name → value (TIMESTAMP as epoch ms, DECIMAL as number, BYTES as Uint8Array). */
  row: Record<string, unknown>;
  /** The encoded record: the format's bytes, or the print connector's line (`+I[…]`). */
  data: Uint8Array;
  /** Kinesis sinks: from PARTITIONED BY columns joined by `sink.partitioner-field-delimiter`, else random (Flink's default). */
  partitionKey?: string;
}

export type SinkCallback = (records: SinkRecord[]) => void;

const encoder = new TextEncoder();

/** A sink record whose `row` object is built only when read (most callers only need `data`). */
class EncodedRecord implements SinkRecord {
  partitionKey?: string;
  private cached: Record<string, unknown> | undefined;
  constructor(readonly kind: RowKind, private readonly values: Row, private readonly columns: { name: string }[], readonly data: Uint8Array) {}
  get row(): Record<string, unknown> {
    if (!this.cached) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < this.columns.length; i++) row[this.columns[i]!.name] = this.values[i];
      this.cached = row;
    }
    return this.cached;
  }
  toJSON(): unknown {
    return { kind: this.kind, row: this.row, data: new TextDecoder().decode(this.data), partitionKey: this.partitionKey };
  }
}

/** Java's LocalDateTime.toString, which the print connector shows: seconds only when non-zero. */
function javaLocalDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let s = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  if (d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0) s += `:${p(d.getUTCSeconds())}`;
  if (d.getUTCMilliseconds() !== 0) s += `.${p(d.getUTCMilliseconds(), 3)}`;
  return s;
}

function printValue(v: unknown, ty: SqlType): string {
  if (v === null || v === undefined) return 'null';
  if (ty.name === 'TIMESTAMP') return javaLocalDateTime(v as number);
  if (ty.name === 'TIMESTAMP_LTZ') return new Date(v as number).toISOString();
  if (ty.name === 'BOOLEAN') return String(v);
  return valueToString(v, ty);
}

/** A sink table fed by one or more INSERTs; records are buffered and handed to subscribers after each input call. */
export class SinkTable {
  readonly name: string;
  private readonly columns: { name: string; type: SqlType }[];
  private readonly format: Format | undefined;
  private buffer: SinkRecord[] = [];
  readonly subscribers: SinkCallback[] = [];
  private readonly partitionBy: number[];
  private readonly delimiter: string;

  constructor(readonly table: TableDef, private readonly ctx: RuntimeContext) {
    this.name = table.name;
    this.columns = table.columns.filter((c) => c.kind === 'physical').map((c) => ({ name: c.name, type: c.type }));
    const formatName = table.options['format'] ?? table.options['value.format'];
    this.format = formatName ? createFormat(formatName, this.columns, Object.fromEntries(Object.entries(table.options).filter(([k]) => k.startsWith(`${formatName}.`)))) : undefined;
    this.partitionBy = table.partitionedBy.map((p) => this.columns.findIndex((c) => c.name === p));
    this.delimiter = table.options['sink.partitioner-field-delimiter'] ?? '|';
  }

  get physicalColumns(): { name: string; type: SqlType }[] {
    return this.columns;
  }

  /** An input for one INSERT: maps the query's columns onto the sink's (INSERT INTO t (a, b) or all columns). */
  input(fields: Field[], targetIndex: number[]): Out {
    const n = this.columns.length;
    const casts = targetIndex.map((ti, i) => {
      const to = this.columns[ti]!.type;
      const from = fields[i]!.type;
      return from.name === to.name && from.scale === to.scale ? undefined : castFn(from, to, false);
    });
    return {
      row: (r: Row, kind: RowKind) => {
        const out: Row = new Array(n).fill(null);
        for (let i = 0; i < targetIndex.length; i++) {
          const c = casts[i];
          out[targetIndex[i]!] = c ? c(r[i]) : r[i];
        }
        this.write(out, kind);
      },
      watermark: () => {},
    };
  }

  private write(values: Row, kind: RowKind): void {
    this.ctx.metrics.rowsOut++;
    if (this.table.connector.name === 'blackhole') return;
    let data: Uint8Array;
    if (this.table.connector.name === 'print') {
      const id = this.table.options['print-identifier'];
      data = encoder.encode(`${id ? `${id}> ` : ''}${kind}[${values.map((v, i) => printValue(v, this.columns[i]!.type)).join(', ')}]`);
    } else data = this.format!.encode(values);
    const rec = new EncodedRecord(kind, values, this.columns, data);
    if (this.table.connector.name.startsWith('kinesis')) {
      rec.partitionKey = this.partitionBy.length > 0 ? this.partitionBy.map((i) => valueToString(values[i], this.columns[i]!.type)).join(this.delimiter) : randomUUID();
    }
    this.buffer.push(rec);
  }

  /** Hand buffered records to subscribers (called by the job after each push/advance). */
  flush(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    for (const s of this.subscribers) s(batch);
  }

  /** Subscribe to this sink's records; returns an unsubscribe function. */
  subscribe(cb: SinkCallback): () => void {
    this.subscribers.push(cb);
    return () => {
      const i = this.subscribers.indexOf(cb);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }
}
