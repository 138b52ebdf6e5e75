import { listTags } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function ListTagsForResource(input: { ResourceARN: string }, context: AnalyticsContext) {
  return { Tags: await listTags(context, input.ResourceARN) };
}
