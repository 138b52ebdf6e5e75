import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { CONCURRENT_UPDATE_MESSAGE, concurrentModification, databaseNotFound, tableNotFound } from '../errors.js';

export default async function deleteTable(input: { CatalogId?: string; DatabaseName: string; Name: string }, context: GlueContext) {
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  const name = canonicalName(input.Name);
  const current = await context.catalog.getTable(scope, database, name);
  if (!current) {
    if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
    throw tableNotFound(name);
  }
  if (!(await context.catalog.deleteTable(scope, database, name, current.revision))) throw concurrentModification(CONCURRENT_UPDATE_MESSAGE);
  return {};
}
