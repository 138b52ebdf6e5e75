import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import { databaseNotFound, tableNotFound } from '../errors.js';

/**
 * The partition indexes CreateTable was given (Terraform's aws_glue_catalog_table reads them after
 * every change). Millrace builds no index: each is ACTIVE at once. One page holds them all (a table
 * has at most 3 [Glue quotas]).
 */
export default async function getPartitionIndexes(input: { CatalogId?: string; DatabaseName: string; TableName: string; NextToken?: string }, context: GlueContext) {
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  const name = canonicalName(input.TableName);
  const table = await context.catalog.getTable(scope, database, name);
  if (!table) {
    if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
    throw tableNotFound(name);
  }
  return { PartitionIndexDescriptorList: table.value.partitionIndexes ?? [] };
}
