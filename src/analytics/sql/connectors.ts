import { TableError } from './errors.js';
import { STRING, t, type SqlType } from './types.js';

/**
 * The connectors a Flink SQL job may name in `WITH ('connector' = …)` (ANALYTICS-SPEC §5.3), with the options
 * Flink validates. The engine records them; reading and writing Kinesis, Firehose and S3 is wired by the caller.
 */
export interface ConnectorSpec {
  name: string;
  source: boolean;
  sink: boolean;
  /** Sinks that accept only inserts ("Streaming Append Mode"): kinesis, firehose, filesystem. */
  appendOnlySink: boolean;
  /** The sink/source needs a `format` option. */
  needsFormat: boolean;
  required(options: Record<string, string>, asSource: boolean): string[];
  /** Exact keys and key prefixes (ending in '.') the connector accepts besides format options. */
  optionKeys: string[];
  /** Readable metadata keys and their types (`METADATA FROM 'key'`). */
  metadata: Record<string, SqlType>;
}

const AWS_OPTIONS = ['aws.region', 'aws.endpoint', 'aws.trust.all.certificates', 'aws.credentials.provider', 'aws.credentials.'];

const KINESIS: ConnectorSpec = {
  name: 'kinesis', source: true, sink: true, appendOnlySink: true, needsFormat: true,
  required: (o) => (o['stream.arn'] !== undefined || o['stream'] !== undefined ? [] : ['stream.arn']),
  optionKeys: [
    'connector', 'format', 'stream', 'stream.arn', ...AWS_OPTIONS, 'source.', 'sink.', 'scan.', 'shard-assigner', 'properties.',
    'aws.', 'value.format', 'key.format', 'key.fields',
  ],
  // Legacy connector's readable metadata (ANALYTICS-SPEC §5.3); the 5.x source has none (FLINK-36671) but Studio apps use these.
  metadata: {
    timestamp: t('TIMESTAMP_LTZ', { precision: 3, nullable: false }),
    'shard-id': t('VARCHAR', { precision: 128, nullable: false }),
    'sequence-number': t('VARCHAR', { precision: 128, nullable: false }),
  },
};

const CONNECTORS: Record<string, ConnectorSpec> = {
  kinesis: KINESIS,
  'kinesis-legacy': { ...KINESIS, name: 'kinesis-legacy' },
  firehose: {
    name: 'firehose', source: false, sink: true, appendOnlySink: true, needsFormat: true,
    required: (o) => (o['delivery-stream'] === undefined ? ['delivery-stream'] : []),
    optionKeys: ['connector', 'format', 'delivery-stream', ...AWS_OPTIONS, 'aws.', 'sink.'],
    metadata: {},
  },
  datagen: {
    name: 'datagen', source: true, sink: false, appendOnlySink: false, needsFormat: false,
    required: () => [],
    optionKeys: ['connector', 'rows-per-second', 'number-of-rows', 'scan.parallelism', 'fields.'],
    metadata: {},
  },
  print: {
    name: 'print', source: false, sink: true, appendOnlySink: false, needsFormat: false,
    required: () => [],
    optionKeys: ['connector', 'print-identifier', 'standard-error', 'sink.parallelism'],
    metadata: {},
  },
  blackhole: {
    name: 'blackhole', source: false, sink: true, appendOnlySink: false, needsFormat: false,
    required: () => [], optionKeys: ['connector'], metadata: {},
  },
  filesystem: {
    name: 'filesystem', source: true, sink: true, appendOnlySink: true, needsFormat: true,
    required: (o) => (o['path'] === undefined ? ['path'] : []),
    optionKeys: ['connector', 'format', 'path', 'source.', 'sink.', 'partition.', 'auto-compaction', 'compaction.'],
    metadata: { 'file.path': STRING, 'file.name': STRING, 'file.size': t('BIGINT'), 'file.modification-time': t('TIMESTAMP_LTZ', { precision: 3 }) },
  },
};

const FORMAT_OPTIONS: Record<string, string[]> = {
  json: ['json.ignore-parse-errors', 'json.fail-on-missing-field', 'json.timestamp-format.standard', 'json.map-null-key.mode', 'json.map-null-key.literal', 'json.encode.decimal-as-plain-number', 'json.encode.ignore-null-fields', 'json.decode.json-parser.enabled'],
  csv: ['csv.field-delimiter', 'csv.ignore-parse-errors', 'csv.allow-comments', 'csv.quote-character', 'csv.disable-quote-character', 'csv.null-literal', 'csv.array-element-delimiter', 'csv.escape-character', 'csv.write-bigdecimal-in-scientific-notation'],
  raw: ['raw.charset', 'raw.endianness'],
};

export const FORMATS = Object.keys(FORMAT_OPTIONS);

/** Flink's factory lookup error for an unknown connector or format. */
export function connectorFor(name: string | undefined, table: string): ConnectorSpec {
  if (name === undefined) {
    throw new TableError(`Table options do not contain an option key 'connector' for discovering a connector. Therefore, Flink assumes a managed table. However, a managed table factory that implements org.apache.flink.table.factories.ManagedTableFactory is not in the classpath.`);
  }
  const spec = CONNECTORS[name];
  if (!spec) {
    throw new TableError(`Could not find any factory for identifier '${name}' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\n${Object.keys(CONNECTORS).sort().join('\n')}`);
  }
  void table;
  return spec;
}

/** Validate a table's options the way Flink's FactoryUtil does: missing required options, then unsupported keys. */
export function validateOptions(spec: ConnectorSpec, options: Record<string, string>, asSource: boolean): void {
  const missing = spec.required(options, asSource);
  if (spec.needsFormat && options['format'] === undefined && options['value.format'] === undefined) missing.push('format');
  if (missing.length > 0) {
    throw new TableError(`One or more required options are missing.\n\nMissing required options are:\n\n${missing.join('\n')}`);
  }
  const format = spec.needsFormat ? options['format'] ?? options['value.format'] : undefined;
  if (format !== undefined && !FORMAT_OPTIONS[format]) {
    if (['avro', 'avro-confluent', 'avro-glue', 'parquet', 'orc', 'debezium-json', 'canal-json', 'maxwell-json', 'protobuf'].includes(format)) {
      throw new TableError(`Could not find any factory for identifier '${format}' that implements 'org.apache.flink.table.factories.DeserializationFormatFactory' in the classpath (Millrace's Flink SQL engine reads and writes the json, csv and raw formats).`);
    }
    throw new TableError(`Could not find any factory for identifier '${format}' that implements 'org.apache.flink.table.factories.DeserializationFormatFactory' in the classpath.\n\nAvailable factory identifiers are:\n\n${FORMATS.join('\n')}`);
  }
  const formatKeys = format ? FORMAT_OPTIONS[format]! : [];
  const accepted = (key: string): boolean =>
    formatKeys.includes(key) || spec.optionKeys.some((k) => (k.endsWith('.') ? key.startsWith(k) : key === k));
  const unsupported = Object.keys(options).filter((k) => !accepted(k));
  if (unsupported.length > 0) {
    const supported = [...spec.optionKeys.map((k) => (k.endsWith('.') ? `${k}*` : k)), ...formatKeys].sort();
    throw new TableError(`Unsupported options found for '${spec.name}'.\n\nUnsupported options:\n\n${unsupported.sort().join('\n')}\n\nSupported options:\n\n${supported.join('\n')}`);
  }
}
