import { canonicalName, scopeOf, type GlueContext } from '../context.js';
import type { DatabaseDocument } from '../domain/data-catalog.js';
import { databaseAlreadyExists } from '../errors.js';

/**
 * What Glue fills in when a database is created without CreateTableDefaultPermissions: the
 * Lake Formation "IAM_ALLOWED_PRINCIPALS / ALL" default of accounts that never opted into Lake
 * Formation permissions (what GetDatabase shows in such accounts).
 */
export const DEFAULT_TABLE_PERMISSIONS = [{ Principal: { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, Permissions: ['ALL'] }];

interface Input {
  CatalogId?: string;
  DatabaseInput: { Name: string; Description?: string; LocationUri?: string; Parameters?: Record<string, string>; CreateTableDefaultPermissions?: unknown[]; TargetDatabase?: unknown; FederatedDatabase?: unknown };
  Tags?: Record<string, string>;
}

export default async function createDatabase(input: Input, context: GlueContext) {
  const scope = scopeOf(input, context);
  const given = input.DatabaseInput;
  const database: DatabaseDocument = {
    Name: canonicalName(given.Name),
    Description: given.Description,
    LocationUri: given.LocationUri,
    Parameters: given.Parameters ?? {},
    CreateTime: Date.now(),
    CreateTableDefaultPermissions: given.CreateTableDefaultPermissions ?? DEFAULT_TABLE_PERMISSIONS,
    TargetDatabase: given.TargetDatabase,
    FederatedDatabase: given.FederatedDatabase,
    CatalogId: scope.catalogId,
  };
  if (!(await context.catalog.createDatabase(scope, database))) throw databaseAlreadyExists();
  return {};
}
