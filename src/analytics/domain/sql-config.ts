import { invalidArgument } from '../../protocol/errors.js';
import {
  INPUT_NEEDS_SOURCE,
  inputNotFound,
  MAX_OUTPUTS_TEXT,
  ONE_INPUT,
  OUTPUT_NEEDS_DESTINATION,
  outputNotFound,
  processingNotFound,
  referenceNotFound,
} from '../errors.js';
import { MAX_SQL_INPUTS, MAX_SQL_OUTPUTS, type SqlConfig } from './application.js';

/**
 * SQL application inputs, outputs and reference data (v1, and v2's SQL-1_0): the descriptions
 * AWS shows for what was configured, with its ids and in-application stream names (§1 facts 6, 7).
 */

/** Ids are `<version>.<n>`: recorded `1.1` for the first input and output of a new application (§1 fact 6); later ones UNVERIFIED. */
export class IdAllocator {
  private n = 0;
  constructor(private readonly versionId: number) {}
  next(): string {
    return `${this.versionId}.${++this.n}`;
  }
}

/** `<NamePrefix>_001 … _NNN`, one per InputParallelism.Count (§1 fact 7). */
export const inAppStreamNames = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}_${String(i + 1).padStart(3, '0')}`);

export const emptySql = (): SqlConfig => ({ inputs: [], outputs: [], references: [] });

export function describeInput(input: Record<string, any>, id: string): Record<string, any> {
  if (Number(Boolean(input.KinesisStreamsInput)) + Number(Boolean(input.KinesisFirehoseInput)) !== 1) throw invalidArgument(INPUT_NEEDS_SOURCE);
  const count = input.InputParallelism?.Count ?? 1;
  return clean({
    InputId: id,
    NamePrefix: input.NamePrefix,
    InAppStreamNames: inAppStreamNames(input.NamePrefix, count),
    InputProcessingConfigurationDescription: input.InputProcessingConfiguration ? describeProcessing(input.InputProcessingConfiguration) : undefined,
    KinesisStreamsInputDescription: input.KinesisStreamsInput,
    KinesisFirehoseInputDescription: input.KinesisFirehoseInput,
    InputSchema: input.InputSchema,
    InputParallelism: { Count: count },
    InputStartingPositionConfiguration: {},
  });
}

export const describeProcessing = (processing: Record<string, any>) => ({ InputLambdaProcessorDescription: processing.InputLambdaProcessor });

export function describeOutput(output: Record<string, any>, id: string): Record<string, any> {
  const destinations = ['KinesisStreamsOutput', 'KinesisFirehoseOutput', 'LambdaOutput'].filter((k) => output[k]);
  if (destinations.length !== 1) throw invalidArgument(OUTPUT_NEEDS_DESTINATION);
  return clean({
    OutputId: id,
    Name: output.Name,
    KinesisStreamsOutputDescription: output.KinesisStreamsOutput,
    KinesisFirehoseOutputDescription: output.KinesisFirehoseOutput,
    LambdaOutputDescription: output.LambdaOutput,
    DestinationSchema: output.DestinationSchema,
  });
}

export function describeReference(reference: Record<string, any>, id: string): Record<string, any> {
  return clean({
    ReferenceId: id,
    TableName: reference.TableName,
    S3ReferenceDataSourceDescription: reference.S3ReferenceDataSource,
    ReferenceSchema: reference.ReferenceSchema,
  });
}

export function addInput(sql: SqlConfig, input: Record<string, any>, ids: IdAllocator): Record<string, any> {
  if (sql.inputs.length >= MAX_SQL_INPUTS) throw invalidArgument(ONE_INPUT);
  const description = describeInput(input, ids.next());
  sql.inputs.push(description);
  return description;
}

export function addOutput(sql: SqlConfig, output: Record<string, any>, ids: IdAllocator): Record<string, any> {
  if (sql.outputs.length >= MAX_SQL_OUTPUTS) throw invalidArgument(MAX_OUTPUTS_TEXT(MAX_SQL_OUTPUTS));
  const description = describeOutput(output, ids.next());
  sql.outputs.push(description);
  return description;
}

export function addReference(sql: SqlConfig, reference: Record<string, any>, ids: IdAllocator): Record<string, any> {
  const description = describeReference(reference, ids.next());
  sql.references.push(description);
  return description;
}

export function findInput(sql: SqlConfig, id: string): Record<string, any> {
  const input = sql.inputs.find((i) => i.InputId === id);
  if (!input) throw inputNotFound(id);
  return input;
}

export function removeOutput(sql: SqlConfig, id: string): void {
  const index = sql.outputs.findIndex((o) => o.OutputId === id);
  if (index < 0) throw outputNotFound(id);
  sql.outputs.splice(index, 1);
}

export function removeReference(sql: SqlConfig, id: string): void {
  const index = sql.references.findIndex((r) => r.ReferenceId === id);
  if (index < 0) throw referenceNotFound(id);
  sql.references.splice(index, 1);
}

export function removeProcessing(sql: SqlConfig, inputId: string): void {
  const input = findInput(sql, inputId);
  if (!input.InputProcessingConfigurationDescription) throw processingNotFound(inputId);
  delete input.InputProcessingConfigurationDescription;
}

/** Applies InputUpdates / OutputUpdates / ReferenceDataSourceUpdates (v1 ApplicationUpdate, v2 SqlApplicationConfigurationUpdate). */
export function applySqlUpdates(sql: SqlConfig, update: { InputUpdates?: any[]; OutputUpdates?: any[]; ReferenceDataSourceUpdates?: any[] }): void {
  for (const u of update.InputUpdates ?? []) {
    const input = findInput(sql, u.InputId);
    if (u.NamePrefixUpdate !== undefined) input.NamePrefix = u.NamePrefixUpdate;
    if (u.InputParallelismUpdate?.CountUpdate !== undefined) input.InputParallelism = { Count: u.InputParallelismUpdate.CountUpdate };
    if (u.NamePrefixUpdate !== undefined || u.InputParallelismUpdate) input.InAppStreamNames = inAppStreamNames(input.NamePrefix, input.InputParallelism.Count);
    if (u.KinesisStreamsInputUpdate) {
      input.KinesisStreamsInputDescription = mergeUpdate(input.KinesisStreamsInputDescription, u.KinesisStreamsInputUpdate);
      delete input.KinesisFirehoseInputDescription;
    }
    if (u.KinesisFirehoseInputUpdate) {
      input.KinesisFirehoseInputDescription = mergeUpdate(input.KinesisFirehoseInputDescription, u.KinesisFirehoseInputUpdate);
      delete input.KinesisStreamsInputDescription;
    }
    const lambda = u.InputProcessingConfigurationUpdate?.InputLambdaProcessorUpdate;
    if (lambda) {
      const current = input.InputProcessingConfigurationDescription?.InputLambdaProcessorDescription;
      input.InputProcessingConfigurationDescription = { InputLambdaProcessorDescription: mergeUpdate(current, lambda) };
    }
    if (u.InputSchemaUpdate) {
      const schema = { ...input.InputSchema };
      if (u.InputSchemaUpdate.RecordFormatUpdate) schema.RecordFormat = u.InputSchemaUpdate.RecordFormatUpdate;
      if (u.InputSchemaUpdate.RecordEncodingUpdate) schema.RecordEncoding = u.InputSchemaUpdate.RecordEncodingUpdate;
      if (u.InputSchemaUpdate.RecordColumnUpdates) schema.RecordColumns = u.InputSchemaUpdate.RecordColumnUpdates;
      input.InputSchema = schema;
    }
  }
  for (const u of update.OutputUpdates ?? []) {
    const output = sql.outputs.find((o) => o.OutputId === u.OutputId);
    if (!output) throw outputNotFound(u.OutputId);
    if (u.NameUpdate !== undefined) output.Name = u.NameUpdate;
    if (u.DestinationSchemaUpdate) output.DestinationSchema = u.DestinationSchemaUpdate;
    const kinds: [string, string][] = [
      ['KinesisStreamsOutputUpdate', 'KinesisStreamsOutputDescription'],
      ['KinesisFirehoseOutputUpdate', 'KinesisFirehoseOutputDescription'],
      ['LambdaOutputUpdate', 'LambdaOutputDescription'],
    ];
    for (const [updateKey, descriptionKey] of kinds) {
      if (!u[updateKey]) continue;
      const merged = mergeUpdate(output[descriptionKey], u[updateKey]);
      for (const [, other] of kinds) delete output[other];
      output[descriptionKey] = merged;
    }
  }
  for (const u of update.ReferenceDataSourceUpdates ?? []) {
    const reference = sql.references.find((r) => r.ReferenceId === u.ReferenceId);
    if (!reference) throw referenceNotFound(u.ReferenceId);
    if (u.TableNameUpdate !== undefined) reference.TableName = u.TableNameUpdate;
    if (u.ReferenceSchemaUpdate) reference.ReferenceSchema = u.ReferenceSchemaUpdate;
    if (u.S3ReferenceDataSourceUpdate) reference.S3ReferenceDataSourceDescription = mergeUpdate(reference.S3ReferenceDataSourceDescription, u.S3ReferenceDataSourceUpdate);
  }
}

/** `{ResourceARNUpdate: x}` over `{ResourceARN: y}` → `{ResourceARN: x}`. */
export function mergeUpdate(current: Record<string, any> | undefined, update: Record<string, any>): Record<string, any> {
  const merged: Record<string, any> = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(update)) merged[key.replace(/Update$/, '')] = value;
  return merged;
}

function clean<T extends Record<string, any>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
