import type { VideoRequestContext } from '../context.js';
import { streamNotFound } from '../errors.js';

/**
 * §2.5, §9.2: every APIName is served on the port the client reached, so the answer is the base
 * URL it used (clients append `/putMedia`, `/getMedia`, …). A DELETING stream is "not found or not active".
 */
export default async function getDataEndpoint(input: { APIName: string; StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  if (stream.Status === 'DELETING') throw streamNotFound();
  return { DataEndpoint: context.endpoint };
}
