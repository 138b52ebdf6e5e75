import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { concurrentModification, CONCURRENT_UPDATE_MESSAGE, databaseNotFound } from '../errors.js';
import { databaseFromInput, type DatabaseInput } from '../resource-input.js';

/** Replaces the database's definition (Description, LocationUri, Parameters, permissions); its name and CreateTime stay. */
export default async function updateDatabase(input: { CatalogId?: string; Name: string; DatabaseInput: DatabaseInput }, context: GlueContext) {
  const scope = scopeOf(input, context);
  const name = canonicalName(input.Name);
  const current = await context.catalog.getDatabase(scope, name);
  if (!current) throw databaseNotFound(name);
  const database = { ...databaseFromInput(input.DatabaseInput, scope.catalogId, current.value.CreateTime), Name: name };
  if (!(await context.catalog.replaceDatabase(scope, database, current.revision))) throw concurrentModification(CONCURRENT_UPDATE_MESSAGE);
  return {};
}
