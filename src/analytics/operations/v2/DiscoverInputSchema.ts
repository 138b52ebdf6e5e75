import type { AnalyticsContext } from '../../context.js';
import { discoverInputSchema } from '../../discover.js';

export default async function DiscoverInputSchema(input: any, context: AnalyticsContext) {
  return discoverInputSchema(context, input);
}
