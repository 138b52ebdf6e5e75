import type { GlueContext } from './context.js';
import { canonicalName, databaseArn, tableArn, type CatalogScope } from './domain/data-catalog.js';
import { databaseNotFound, GlueError, tableNotFound } from './errors.js';

/** An ARN naming something Millrace's catalog does not hold (a crawler, a job…). Text UNVERIFIED. */
export const resourceNotFound = (arn: string) => new GlueError('EntityNotFoundException', `Resource ${arn} not found.`);

const DATABASE_ARN = /^arn:aws[a-z-]*:glue:([^:]*):([^:]*):database\/(.+)$/;
const TABLE_ARN = /^arn:aws[a-z-]*:glue:([^:]*):([^:]*):table\/([^/]+)\/(.+)$/;

/**
 * The database or table a Glue resource ARN names, checked to exist; its canonical ARN (lower-case
 * names) is the one its tags are kept under.
 */
export async function resolveResourceArn(arn: string, context: GlueContext): Promise<{ scope: CatalogScope; arn: string }> {
  const table = TABLE_ARN.exec(arn);
  if (table) {
    const scope = { account: context.account, region: table[1], catalogId: table[2] };
    const [database, name] = [canonicalName(table[3]), canonicalName(table[4])];
    if (!(await context.catalog.getTable(scope, database, name))) {
      if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
      throw tableNotFound(name);
    }
    return { scope, arn: tableArn(scope, database, name) };
  }
  const database = DATABASE_ARN.exec(arn);
  if (database) {
    const scope = { account: context.account, region: database[1], catalogId: database[2] };
    const name = canonicalName(database[3]);
    if (!(await context.catalog.getDatabase(scope, name))) throw databaseNotFound(name);
    return { scope, arn: databaseArn(scope, name) };
  }
  throw resourceNotFound(arn);
}
