import { canonicalName, databaseOutput, scopeOf, type GlueContext } from '../context.js';
import { databaseNotFound } from '../errors.js';

export default async function getDatabase(input: { CatalogId?: string; Name: string }, context: GlueContext) {
  const name = canonicalName(input.Name);
  const found = await context.catalog.getDatabase(scopeOf(input, context), name);
  if (!found) throw databaseNotFound(name);
  return { Database: databaseOutput(found.value) };
}
