import type { GlueContext } from '../context.js';
import { concurrentModification, CONCURRENT_UPDATE_MESSAGE } from '../errors.js';
import { resolveResourceArn } from '../resource-arn.js';

export default async function untagResource(input: { ResourceArn: string; TagsToRemove: string[] }, context: GlueContext) {
  const { scope, arn } = await resolveResourceArn(input.ResourceArn, context);
  const current = await context.catalog.getTags(scope, arn);
  if (!current) return {};
  const tags = { ...current.value };
  for (const key of input.TagsToRemove) delete tags[key];
  if (!(await context.catalog.putTags(scope, arn, tags, current.revision))) throw concurrentModification(CONCURRENT_UPDATE_MESSAGE);
  return {};
}
