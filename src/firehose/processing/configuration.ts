/**
 * A destination's ProcessingConfiguration (the model's `{Enabled, Processors:[{Type, Parameters:
 * [{ParameterName, ParameterValue}]}]}`) read into typed settings, and the Create/Update-time checks
 * of FIREHOSE-SPEC §10. The model has already checked the enums and the value lengths; what is left
 * are the rules between a processor's type and its parameters.
 *
 * AWS's texts for these checks are not recorded anywhere we could find, except the one for a
 * repeated processor: each is a named constant, marked UNVERIFIED where it is ours.
 */

export type ProcessorType = 'RecordDeAggregation' | 'Decompression' | 'CloudWatchLogProcessing' | 'Lambda' | 'MetadataExtraction' | 'AppendDelimiterToRecord';

/** The parameters each processor type takes ([botocore-doc] Processor / ProcessorParameter). */
export const PARAMETERS_BY_TYPE: Record<ProcessorType, { required: string[]; optional: string[] }> = {
  Lambda: { required: ['LambdaArn'], optional: ['NumberOfRetries', 'RoleArn', 'BufferSizeInMBs', 'BufferIntervalInSeconds'] },
  MetadataExtraction: { required: ['MetadataExtractionQuery', 'JsonParsingEngine'], optional: [] },
  RecordDeAggregation: { required: ['SubRecordType'], optional: ['Delimiter'] },
  AppendDelimiterToRecord: { required: [], optional: [] },
  // CDK's DecompressionProcessor: "compression_format … Default: GZIP", so it may be left out.
  Decompression: { required: [], optional: ['CompressionFormat'] },
  CloudWatchLogProcessing: { required: ['DataMessageExtraction'], optional: [] },
};

/** "Currently the following default values are supported: 3 for NumberOfRetries and 60 for the BufferIntervalInSeconds" [CFN ProcessorParameter doc]. */
export const DEFAULT_NUMBER_OF_RETRIES = 3;
/** NumberOfRetries accepted (the console offers 0–300; UNVERIFIED for the API). */
export const NUMBER_OF_RETRIES_RANGE = { min: 0, max: 300 };
/** "The BufferSizeInMBs ranges between 0.2 MB and up to 3MB. The default buffering hint is 1MB for all destinations, except Splunk" [CFN ProcessorParameter doc]. */
export const LAMBDA_BUFFER_SIZE_RANGE_MB = { min: 0.2, max: 3 };
export const DEFAULT_LAMBDA_BUFFER_SIZE_MB = 1;
export const DEFAULT_SPLUNK_LAMBDA_BUFFER_SIZE_MB = 0.256;
/**
 * Lambda processor BufferIntervalInSeconds: 0–900, default 60 (§7: the destinations' intervals are
 * 0–900 since zero buffering came in 2023; the processor's range follows them, the old 60 s minimum is gone).
 */
export const LAMBDA_BUFFER_INTERVAL_RANGE_S = { min: 0, max: 900 };
export const DEFAULT_LAMBDA_BUFFER_INTERVAL_S = 60;
/** "we only support jq 1.6" [docs dynamic-partitioning-partitioning-keys]. */
export const JSON_PARSING_ENGINE = 'JQ-1.6';
export const SUB_RECORD_TYPES = ['JSON', 'DELIMITED'] as const;
export const DECOMPRESSION_FORMATS = ['GZIP'] as const;

// Messages. Recorded: pulumi/pulumi-aws#937 (two Lambda processors, 2020).
export const REPEATED_PROCESSOR_MESSAGE = 'Exactly 1 Processor needs to be supplied when processing is enabled';
// UNVERIFIED: our wording, in the style of Firehose's other InvalidArgumentException texts.
export const unsupportedParameterMessage = (type: string, name: string) => `Processor parameter ${name} is not supported for processor type ${type}.`;
export const missingParameterMessage = (type: string, name: string) => `Processor type ${type} requires processor parameter ${name}.`;
export const repeatedParameterMessage = (type: string, name: string) => `Processor parameter ${name} is specified more than once for processor type ${type}.`;
export const invalidParameterValueMessage = (name: string, value: string, allowed: string) =>
  `Invalid value '${value}' for processor parameter ${name}: ${allowed}.`;
export const invalidJqMessage = (query: string, detail: string) => `MetadataExtractionQuery '${query}' is not a valid jq 1.6 query: ${detail}`;
export const CLOUDWATCH_PROCESSING_NEEDS_DECOMPRESSION_MESSAGE =
  'Processor type CloudWatchLogProcessing requires processor type Decompression to be enabled.';
export const DELIMITED_NEEDS_DELIMITER_MESSAGE = 'Processor parameter Delimiter is required when SubRecordType is DELIMITED.';

export interface LambdaSettings {
  lambdaArn: string;
  numberOfRetries: number;
  roleArn?: string;
  bufferSizeMB: number;
  bufferIntervalSeconds: number;
}

export interface ProcessingSettings {
  enabled: boolean;
  recordDeAggregation?: { subRecordType: 'JSON' | 'DELIMITED'; delimiter?: Buffer };
  decompression?: { format: 'GZIP' };
  cloudWatchLogProcessing?: { dataMessageExtraction: boolean };
  lambda?: LambdaSettings;
  metadataExtraction?: { query: string; engine: string };
  appendDelimiterToRecord: boolean;
}

interface RawProcessor {
  Type?: unknown;
  Parameters?: unknown;
}

/** The processors as configured: type and parameters by name (the first of a repeated one). */
function rawProcessors(processing: unknown): { enabled: boolean; processors: Array<{ type: string; parameters: Array<[string, string]> }> } {
  const config = (processing ?? {}) as { Enabled?: unknown; Processors?: unknown };
  const list = Array.isArray(config.Processors) ? (config.Processors as RawProcessor[]) : [];
  // An omitted Enabled with processors listed counts as enabled (as CloudFormation and the console send it).
  const enabled = config.Enabled === undefined ? list.length > 0 : config.Enabled === true;
  return {
    enabled,
    processors: list.map((processor) => ({
      type: String(processor?.Type ?? ''),
      parameters: (Array.isArray(processor?.Parameters) ? (processor.Parameters as Array<{ ParameterName?: unknown; ParameterValue?: unknown }>) : []).map(
        (parameter) => [String(parameter?.ParameterName ?? ''), String(parameter?.ParameterValue ?? '')] as [string, string],
      ),
    })),
  };
}

/**
 * The checks that need no jq: the InvalidArgumentException message for the first problem, or
 * undefined. `checkProcessingConfiguration` (pipeline.ts) adds the jq compile check.
 */
export function checkProcessorParameters(processing: unknown): string | undefined {
  const { processors } = rawProcessors(processing);
  const seen = new Set<string>();
  for (const { type, parameters } of processors) {
    const allowed = PARAMETERS_BY_TYPE[type as ProcessorType];
    if (!allowed) continue; // the model's enum check reports unknown types before we run
    if (seen.has(type)) return REPEATED_PROCESSOR_MESSAGE;
    seen.add(type);
    const names = new Set<string>();
    for (const [name, value] of parameters) {
      if (!allowed.required.includes(name) && !allowed.optional.includes(name)) return unsupportedParameterMessage(type, name);
      if (names.has(name)) return repeatedParameterMessage(type, name);
      names.add(name);
      const problem = checkParameterValue(name, value);
      if (problem) return problem;
    }
    for (const name of allowed.required) if (!names.has(name)) return missingParameterMessage(type, name);
    if (type === 'RecordDeAggregation') {
      const subRecordType = parameters.find(([name]) => name === 'SubRecordType')?.[1];
      if (subRecordType === 'DELIMITED' && !names.has('Delimiter')) return DELIMITED_NEEDS_DELIMITER_MESSAGE;
    }
  }
  if (seen.has('CloudWatchLogProcessing') && !seen.has('Decompression')) return CLOUDWATCH_PROCESSING_NEEDS_DECOMPRESSION_MESSAGE;
  return undefined;
}

function checkParameterValue(name: string, value: string): string | undefined {
  switch (name) {
    case 'NumberOfRetries': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < NUMBER_OF_RETRIES_RANGE.min || n > NUMBER_OF_RETRIES_RANGE.max)
        return invalidParameterValueMessage(name, value, `an integer from ${NUMBER_OF_RETRIES_RANGE.min} to ${NUMBER_OF_RETRIES_RANGE.max}`);
      return undefined;
    }
    case 'BufferSizeInMBs': {
      const n = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || n < LAMBDA_BUFFER_SIZE_RANGE_MB.min || n > LAMBDA_BUFFER_SIZE_RANGE_MB.max)
        return invalidParameterValueMessage(name, value, `a number from ${LAMBDA_BUFFER_SIZE_RANGE_MB.min} to ${LAMBDA_BUFFER_SIZE_RANGE_MB.max}`);
      return undefined;
    }
    case 'BufferIntervalInSeconds': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < LAMBDA_BUFFER_INTERVAL_RANGE_S.min || n > LAMBDA_BUFFER_INTERVAL_RANGE_S.max)
        return invalidParameterValueMessage(name, value, `an integer from ${LAMBDA_BUFFER_INTERVAL_RANGE_S.min} to ${LAMBDA_BUFFER_INTERVAL_RANGE_S.max}`);
      return undefined;
    }
    case 'JsonParsingEngine':
      return value === JSON_PARSING_ENGINE ? undefined : invalidParameterValueMessage(name, value, `the only engine supported is ${JSON_PARSING_ENGINE}`);
    case 'SubRecordType':
      return (SUB_RECORD_TYPES as readonly string[]).includes(value) ? undefined : invalidParameterValueMessage(name, value, `one of ${SUB_RECORD_TYPES.join(', ')}`);
    case 'CompressionFormat':
      return (DECOMPRESSION_FORMATS as readonly string[]).includes(value) ? undefined : invalidParameterValueMessage(name, value, `one of ${DECOMPRESSION_FORMATS.join(', ')}`);
    case 'DataMessageExtraction':
      return value === 'true' || value === 'false' ? undefined : invalidParameterValueMessage(name, value, 'true or false');
    case 'Delimiter': {
      const decoded = decodeBase64Strict(value);
      return decoded && decoded.length > 0 ? undefined : invalidParameterValueMessage(name, value, 'a base64-encoded delimiter');
    }
    default:
      return undefined;
  }
}

/** Standard base64 with its padding, as the Delimiter example `IyMjIw==` is; undefined for anything else. */
export function decodeBase64Strict(value: string): Buffer | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/**
 * The settings a pipeline runs with. Assumes the configuration passed `checkProcessorParameters`
 * (it was stored through Create/Update); anything it cannot read is left out rather than guessed.
 * `Splunk` destinations default the Lambda buffer to 256 KB. `evenIfDisabled` reads the processors
 * of a disabled configuration too (Create/Update check them all the same).
 */
export function readProcessingSettings(processing: unknown, options: { splunk?: boolean; evenIfDisabled?: boolean } = {}): ProcessingSettings {
  const { enabled, processors } = rawProcessors(processing);
  const settings: ProcessingSettings = { enabled, appendDelimiterToRecord: false };
  if (!enabled && !options.evenIfDisabled) return settings;
  for (const { type, parameters } of processors) {
    const get = (name: string) => parameters.find(([n]) => n === name)?.[1];
    switch (type) {
      case 'RecordDeAggregation': {
        const subRecordType = get('SubRecordType') === 'DELIMITED' ? 'DELIMITED' : 'JSON';
        const delimiter = get('Delimiter');
        settings.recordDeAggregation = { subRecordType, ...(subRecordType === 'DELIMITED' && delimiter ? { delimiter: decodeBase64Strict(delimiter) } : {}) };
        break;
      }
      case 'Decompression':
        settings.decompression = { format: 'GZIP' };
        break;
      case 'CloudWatchLogProcessing':
        settings.cloudWatchLogProcessing = { dataMessageExtraction: get('DataMessageExtraction') === 'true' };
        break;
      case 'Lambda': {
        const lambdaArn = get('LambdaArn');
        if (!lambdaArn) break;
        const retries = get('NumberOfRetries');
        const size = get('BufferSizeInMBs');
        const interval = get('BufferIntervalInSeconds');
        settings.lambda = {
          lambdaArn,
          numberOfRetries: retries !== undefined && /^\d+$/.test(retries) ? Number(retries) : DEFAULT_NUMBER_OF_RETRIES,
          ...(get('RoleArn') ? { roleArn: get('RoleArn') } : {}),
          bufferSizeMB: size !== undefined && Number(size) > 0 ? Number(size) : options.splunk ? DEFAULT_SPLUNK_LAMBDA_BUFFER_SIZE_MB : DEFAULT_LAMBDA_BUFFER_SIZE_MB,
          bufferIntervalSeconds: interval !== undefined && /^\d+$/.test(interval) ? Number(interval) : DEFAULT_LAMBDA_BUFFER_INTERVAL_S,
        };
        break;
      }
      case 'MetadataExtraction': {
        const query = get('MetadataExtractionQuery');
        if (query) settings.metadataExtraction = { query, engine: get('JsonParsingEngine') ?? JSON_PARSING_ENGINE };
        break;
      }
      case 'AppendDelimiterToRecord':
        settings.appendDelimiterToRecord = true;
        break;
    }
  }
  return settings;
}

/** Whether a configuration has Decompression on (PutRecord then takes CloudWatch Logs payloads only, §6). */
export function decompressionEnabled(processing: unknown): boolean {
  const { enabled, processors } = rawProcessors(processing);
  return enabled && processors.some((processor) => processor.type === 'Decompression');
}
