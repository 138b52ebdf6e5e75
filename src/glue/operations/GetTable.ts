import { canonicalName, scopeOf, tableOutput, type GlueContext } from '../context.js';
import { databaseNotFound, tableNotFound } from '../errors.js';

export default async function getTable(input: { CatalogId?: string; DatabaseName: string; Name: string }, context: GlueContext) {
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  const name = canonicalName(input.Name);
  const found = await context.catalog.getTable(scope, database, name);
  if (found) return { Table: tableOutput(found.value) };
  if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
  throw tableNotFound(name);
}
