import { databaseOutput, scopeOf, type GlueContext } from '../context.js';
import { page } from '../page-token.js';

/** Databases per page when MaxResults is absent (the model's CatalogGetterPageSize maximum; AWS's default UNVERIFIED). */
export const GET_DATABASES_DEFAULT_PAGE = 100;

interface Input {
  CatalogId?: string;
  NextToken?: string;
  MaxResults?: number;
  ResourceShareType?: string;
  AttributesToGet?: string[];
}

export default async function getDatabases(input: Input, context: GlueContext) {
  const all = (await context.catalog.listDatabases(scopeOf(input, context))).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const { items, nextToken } = page(all, input.NextToken, input.MaxResults, GET_DATABASES_DEFAULT_PAGE);
  // AttributesToGet [NAME] asks for the names alone (model: DatabaseAttributes).
  const namesOnly = input.AttributesToGet !== undefined && input.AttributesToGet.length > 0 && input.AttributesToGet.every((a) => a === 'NAME');
  return {
    DatabaseList: items.map((database) => (namesOnly ? { Name: database.Name } : databaseOutput(database))),
    NextToken: nextToken,
  };
}
