import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { CONCURRENT_UPDATE_MESSAGE, concurrentModification, databaseNotFound, invalidInput, TABLE_INPUT_REQUIRED_MESSAGE, tableNotFound } from '../errors.js';
import { tableFromInput, type TableInput } from '../resource-input.js';

/** UpdateTable's VersionId names the version the caller read; another one is current. Text UNVERIFIED. */
export const versionMismatchMessage = (given: string, current: string) =>
  `Update table failed due to concurrent modifications. Expected version ${given} but found ${current}.`;

interface Input {
  CatalogId?: string;
  DatabaseName: string;
  Name?: string;
  TableInput?: TableInput;
  VersionId?: string;
  SkipArchive?: boolean;
}

/** Replaces the table's definition; CreateTime stays, UpdateTime is now, VersionId goes up by one. */
export default async function updateTable(input: Input, context: GlueContext) {
  if (!input.TableInput) throw invalidInput(TABLE_INPUT_REQUIRED_MESSAGE);
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  const name = canonicalName(input.TableInput.Name);
  const current = await context.catalog.getTable(scope, database, name);
  if (!current) {
    if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
    throw tableNotFound(name);
  }
  if (input.VersionId !== undefined && input.VersionId !== current.value.VersionId) {
    throw concurrentModification(versionMismatchMessage(input.VersionId, current.value.VersionId));
  }
  const table = tableFromInput(input.TableInput, {
    database,
    catalogId: scope.catalogId,
    version: Number(current.value.VersionId) + 1,
    createTime: current.value.CreateTime,
    updateTime: Date.now(),
    partitionIndexes: current.value.partitionIndexes,
  });
  // SkipArchive: "By default, UpdateTable always creates an archived version of the table before updating it" (model).
  if (!(await context.catalog.replaceTable(scope, table, current.revision, input.SkipArchive === true ? undefined : current.value))) throw concurrentModification(CONCURRENT_UPDATE_MESSAGE);
  return {};
}
