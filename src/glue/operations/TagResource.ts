import type { GlueContext } from '../context.js';
import { concurrentModification, CONCURRENT_UPDATE_MESSAGE, invalidInput } from '../errors.js';
import { resolveResourceArn } from '../resource-arn.js';

/** Tags per resource (Glue's quota, as the model's TagsMap max). */
export const MAX_TAGS_PER_RESOURCE = 50;
/** Text UNVERIFIED. */
export const TAG_LIMIT_MESSAGE = `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags.`;

export default async function tagResource(input: { ResourceArn: string; TagsToAdd: Record<string, string> }, context: GlueContext) {
  const { scope, arn } = await resolveResourceArn(input.ResourceArn, context);
  const current = await context.catalog.getTags(scope, arn);
  const tags = { ...(current?.value ?? {}), ...input.TagsToAdd };
  if (Object.keys(tags).length > MAX_TAGS_PER_RESOURCE) throw invalidInput(TAG_LIMIT_MESSAGE);
  if (!(await context.catalog.putTags(scope, arn, tags, current?.revision ?? 0))) throw concurrentModification(CONCURRENT_UPDATE_MESSAGE);
  return {};
}
