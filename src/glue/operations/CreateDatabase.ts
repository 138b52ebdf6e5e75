import { scopeOf, type GlueContext } from '../context.js';
import { databaseArn } from '../domain/data-catalog.js';
import { databaseFromInput, type DatabaseInput } from '../resource-input.js';
import { databaseAlreadyExists } from '../errors.js';

interface Input {
  CatalogId?: string;
  DatabaseInput: DatabaseInput;
  Tags?: Record<string, string>;
}

export default async function createDatabase(input: Input, context: GlueContext) {
  const scope = scopeOf(input, context);
  const database = databaseFromInput(input.DatabaseInput, scope.catalogId, Date.now());
  if (!(await context.catalog.createDatabase(scope, database))) throw databaseAlreadyExists();
  if (input.Tags && Object.keys(input.Tags).length > 0) {
    // A new database has no tags yet, unless a deleted one of the same name left some behind.
    const arn = databaseArn(scope, database.Name);
    const previous = await context.catalog.getTags(scope, arn);
    await context.catalog.putTags(scope, arn, input.Tags, previous?.revision ?? 0);
  }
  return {};
}
