import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { databaseNotFound } from '../errors.js';

/** Deleting a database deletes its tables (Glue API: "deletes all tables in the database"). */
export default async function deleteDatabase(input: { CatalogId?: string; Name: string }, context: GlueContext) {
  const name = canonicalName(input.Name);
  if (!(await context.catalog.deleteDatabase(scopeOf(input, context), name))) throw databaseNotFound(name);
  return {};
}
