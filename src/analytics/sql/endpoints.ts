import type { TableDef } from './catalog.js';
import { TableError } from './errors.js';
import { parseTimestamp, parseWithPattern } from './time-format.js';

/**
 * What a table's connector options say about where it reads or writes (ANALYTICS-SPEC §5.3), both for the
 * Kinesis connector 5.x names (`stream.arn`, `source.init.position`) and the legacy ones Studio uses
 * (`stream`, `scan.stream.initpos`): the caller opens the stream, the delivery stream or the object prefix.
 */
export type TableEndpoint =
  | {
      connector: 'kinesis';
      streamName: string;
      streamArn?: string;
      region?: string;
      endpoint?: string;
      /** Where a reader without a checkpoint starts. */
      initialPosition: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
      /** AT_TIMESTAMP: epoch ms. */
      initialTimestamp?: number;
      /** POLLING (GetRecords) or EFO (SubscribeToShard); both are read in-process by Millrace. */
      readerType: 'POLLING' | 'EFO';
      efoConsumerName?: string;
    }
  | { connector: 'firehose'; deliveryStream: string; region?: string; endpoint?: string }
  | { connector: 'filesystem'; path: string }
  | { connector: 'datagen' | 'print' | 'blackhole' };

/** Flink's default for `source.init.timestamp.format` and `scan.stream.initpos-timestamp-format`. */
export const DEFAULT_INIT_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

function streamNameFromArn(arn: string): string {
  const m = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(arn);
  if (!m) throw new TableError(`Invalid Kinesis stream ARN '${arn}' in option 'stream.arn'.`);
  return m[1]!;
}

export function tableEndpoint(table: TableDef): TableEndpoint {
  const o = table.options;
  switch (table.connector.name) {
    case 'kinesis':
    case 'kinesis-legacy': {
      const streamArn = o['stream.arn'];
      const streamName = streamArn ? streamNameFromArn(streamArn) : o['stream']!;
      const rawPosition = (o['source.init.position'] ?? o['scan.stream.initpos'] ?? 'LATEST').toUpperCase();
      if (!['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'].includes(rawPosition)) {
        throw new TableError(`Invalid initial position '${rawPosition}': expected one of LATEST, TRIM_HORIZON, AT_TIMESTAMP.`);
      }
      const initialPosition = rawPosition as 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
      let initialTimestamp: number | undefined;
      if (initialPosition === 'AT_TIMESTAMP') {
        const text = o['source.init.timestamp'] ?? o['scan.stream.initpos-timestamp'];
        if (text === undefined) throw new TableError(`Please set value for initial timestamp ('source.init.timestamp') when using AT_TIMESTAMP initial position.`);
        const format = o['source.init.timestamp.format'] ?? o['scan.stream.initpos-timestamp-format'] ?? DEFAULT_INIT_TIMESTAMP_FORMAT;
        // the legacy option also takes epoch seconds ("1459799926.480")
        initialTimestamp = /^\d+(\.\d+)?$/.test(text) ? Math.round(Number(text) * 1000) : parseWithPattern(text, format) ?? parseTimestamp(text);
        if (initialTimestamp === undefined) throw new TableError(`Invalid value for initial timestamp: '${text}' does not match the format '${format}'.`);
      }
      const reader = (o['source.reader.type'] ?? o['scan.stream.recordpublisher'] ?? 'POLLING').toUpperCase();
      return {
        connector: 'kinesis', streamName, streamArn, region: o['aws.region'], endpoint: o['aws.endpoint'],
        initialPosition, initialTimestamp, readerType: reader === 'EFO' ? 'EFO' : 'POLLING',
        efoConsumerName: o['source.efo.consumer.name'] ?? o['scan.stream.efo.consumername'],
      };
    }
    case 'firehose':
      return { connector: 'firehose', deliveryStream: o['delivery-stream']!, region: o['aws.region'], endpoint: o['aws.endpoint'] };
    case 'filesystem':
      return { connector: 'filesystem', path: o['path']! };
    default:
      return { connector: table.connector.name as 'datagen' | 'print' | 'blackhole' };
  }
}

/**
 * Best effort (a Millrace extension, documented): the SQL a PyFlink `main.py` runs, from the string literals passed to
 * `execute_sql(...)` / `sql_query(...)` and to a statement set's `add_insert_sql(...)`, joined as one script. Only
 * literals are read (plain, triple-quoted, r/f-less); SQL built at run time cannot be recovered.
 */
export function extractPyFlinkSql(source: string): string {
  const statements: string[] = [];
  const call = /\.(execute_sql|add_insert_sql|sql_query)\(\s*(?:[rRuU]?)("""|'''|"|')/g;
  for (let m = call.exec(source); m; m = call.exec(source)) {
    const quote = m[2]!;
    const start = m.index + m[0].length;
    let end = start;
    let text = '';
    for (; end < source.length; end++) {
      const ch = source[end]!;
      if (quote.length === 1 && ch === '\\') { text += source[end + 1] ?? ''; end++; continue; }
      if (source.startsWith(quote, end)) break;
      text += ch;
    }
    if (end >= source.length) break;
    call.lastIndex = end + quote.length;
    const sql = text.trim().replace(/;\s*$/, '');
    if (sql) statements.push(sql);
  }
  return statements.map((s) => `${s};`).join('\n');
}
