import { tagResource } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function TagResource(input: { ResourceARN: string; Tags: { Key: string; Value?: string }[] }, context: AnalyticsContext) {
  await tagResource(context, input.ResourceARN, input.Tags);
  return {};
}
