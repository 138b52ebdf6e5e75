import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import type { PartitionIndexDescriptor, TableDocument } from '../domain/data-catalog.js';
import { databaseNotFound, invalidInput, TABLE_INPUT_REQUIRED_MESSAGE, tableAlreadyExists } from '../errors.js';
import { FIRST_TABLE_VERSION, tableFromInput, type TableInput } from '../resource-input.js';


interface Input {
  CatalogId?: string;
  DatabaseName: string;
  Name?: string;
  TableInput?: TableInput;
  OpenTableFormatInput?: unknown;
  PartitionIndexes?: Array<{ Keys: string[]; IndexName: string }>;
}

/** A partition index names partition keys only. Text UNVERIFIED. */
export const partitionIndexKeyMessage = (key: string) => `Partition index key ${key} is not a partition key of the table.`;

/** PartitionIndexes as GetPartitionIndexes describes them: each key with its partition key's type, ACTIVE at once. */
function partitionIndexes(indexes: Input['PartitionIndexes'], table: TableDocument): PartitionIndexDescriptor[] | undefined {
  if (!indexes?.length) return undefined;
  return indexes.map((index) => ({
    IndexName: index.IndexName,
    Keys: index.Keys.map((key) => {
      const column = table.PartitionKeys.find((c) => c.Name.toLowerCase() === key.toLowerCase());
      if (!column) throw invalidInput(partitionIndexKeyMessage(key));
      return { Name: column.Name, Type: column.Type ?? 'string' };
    }),
    IndexStatus: 'ACTIVE',
  }));
}

export default async function createTable(input: Input, context: GlueContext) {
  if (!input.TableInput) throw invalidInput(TABLE_INPUT_REQUIRED_MESSAGE);
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
  const now = Date.now();
  const table = tableFromInput(input.TableInput, { database, catalogId: scope.catalogId, version: FIRST_TABLE_VERSION, createTime: now, updateTime: now });
  table.partitionIndexes = partitionIndexes(input.PartitionIndexes, table);
  if (!(await context.catalog.createTable(scope, table))) throw tableAlreadyExists();
  return {};
}
