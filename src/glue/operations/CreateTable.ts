import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { databaseNotFound, invalidInput, tableAlreadyExists } from '../errors.js';
import { FIRST_TABLE_VERSION, tableFromInput, type TableInput } from '../table-input.js';

/** Without TableInput (the model allows it for OpenTableFormatInput, which Millrace does not serve). Text UNVERIFIED. */
export const TABLE_INPUT_REQUIRED_MESSAGE = 'TableInput is required';

interface Input {
  CatalogId?: string;
  DatabaseName: string;
  Name?: string;
  TableInput?: TableInput;
  OpenTableFormatInput?: unknown;
}

export default async function createTable(input: Input, context: GlueContext) {
  if (!input.TableInput) throw invalidInput(TABLE_INPUT_REQUIRED_MESSAGE);
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
  const now = Date.now();
  const table = tableFromInput(input.TableInput, { database, catalogId: scope.catalogId, version: FIRST_TABLE_VERSION, createTime: now, updateTime: now });
  if (!(await context.catalog.createTable(scope, table))) throw tableAlreadyExists();
  return {};
}
