import type { GlueContext } from './context.js';
import { canonicalName, databaseArn, tableArn, type CatalogScope } from './domain/data-catalog.js';
import { databaseNotFound, GlueError, tableNotFound } from './errors.js';

/** An ARN naming something Millrace's catalog does not hold (a crawler, a job…). Text UNVERIFIED. */
export const resourceNotFound = (arn: string) => new GlueError('EntityNotFoundException', `Resource ${arn} not found.`);

const DATABASE_ARN = /^arn:aws[a-z-]*:glue:([^:]*):([^:]*):database\/(.+)$/;
const TABLE_ARN = /^arn:aws[a-z-]*:glue:([^:]*):([^:]*):table\/([^/]+)\/(.+)$/;

/**
 * An ARN's account, or the caller's when the ARN has none: Terraform's AWS provider configured with
 * `skip_requesting_account_id` (usual against a local endpoint, which serves no STS) builds its
 * ARNs with an empty account, `arn:aws:glue:us-east-1::database/db`.
 */
const catalogOf = (arnAccount: string, context: GlueContext) => arnAccount || context.account;

/**
 * The database or table a Glue resource ARN names, checked to exist; its canonical ARN (lower-case
 * names) is the one its tags are kept under.
 */
export async function resolveResourceArn(arn: string, context: GlueContext): Promise<{ scope: CatalogScope; arn: string }> {
  const table = TABLE_ARN.exec(arn);
  if (table) {
    const scope = { account: context.account, region: table[1], catalogId: catalogOf(table[2], context) };
    const [database, name] = [canonicalName(table[3]), canonicalName(table[4])];
    if (!(await context.catalog.getTable(scope, database, name))) {
      if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
      throw tableNotFound(name);
    }
    return { scope, arn: tableArn(scope, database, name) };
  }
  const database = DATABASE_ARN.exec(arn);
  if (database) {
    const scope = { account: context.account, region: database[1], catalogId: catalogOf(database[2], context) };
    const name = canonicalName(database[3]);
    if (!(await context.catalog.getDatabase(scope, name))) throw databaseNotFound(name);
    return { scope, arn: databaseArn(scope, name) };
  }
  throw resourceNotFound(arn);
}
