import { canonicalName, scopeOf, tableOutput, type GlueContext } from '../context.js';
import { databaseNotFound, invalidInput } from '../errors.js';
import { page } from '../page-token.js';

/** Tables per page when MaxResults is absent (the model's CatalogGetterPageSize maximum; AWS's default UNVERIFIED). */
export const GET_TABLES_DEFAULT_PAGE = 100;

interface Input {
  CatalogId?: string;
  DatabaseName: string;
  Expression?: string;
  NextToken?: string;
  MaxResults?: number;
  AttributesToGet?: string[];
}

/**
 * Expression: "A regular expression pattern. If present, only those tables whose names match the
 * pattern are returned" (model). Glue's examples use Hive's form, where `*` stands for any
 * characters (`sales*`) and `|` separates alternatives: a `*` not following another regex token is
 * read that way. Matched against the whole (lower-case) name.
 */
function nameFilter(expression: string | undefined): ((name: string) => boolean) | undefined {
  if (expression === undefined || expression === '') return undefined;
  const source = expression.replace(/(^|[^.\])*?+}])\*/g, '$1.*');
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, 'i');
  } catch {
    throw invalidInput(`Invalid expression: ${expression}`);
  }
  return (name) => re.test(name);
}

export default async function getTables(input: Input, context: GlueContext) {
  const scope = scopeOf(input, context);
  const database = canonicalName(input.DatabaseName);
  if (!(await context.catalog.getDatabase(scope, database))) throw databaseNotFound(database);
  const matches = nameFilter(input.Expression);
  const all = (await context.catalog.listTables(scope, database))
    .filter((table) => !matches || matches(table.Name))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const { items, nextToken } = page(all, input.NextToken, input.MaxResults, GET_TABLES_DEFAULT_PAGE);
  const namesOnly = input.AttributesToGet !== undefined && input.AttributesToGet.length > 0 && input.AttributesToGet.every((a) => a === 'NAME');
  return {
    TableList: items.map((table) => (namesOnly ? { Name: table.Name } : tableOutput(table))),
    NextToken: nextToken,
  };
}
