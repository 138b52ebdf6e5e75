import { untagResource } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function UntagResource(input: { ResourceARN: string; TagKeys: string[] }, context: AnalyticsContext) {
  await untagResource(context, input.ResourceARN, input.TagKeys);
  return {};
}
