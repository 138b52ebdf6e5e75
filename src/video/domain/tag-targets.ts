import { invalidResourceFormat, resourceNotFound } from '../errors.js';
import { parseResourceArn } from './resource-arn.js';
import type { StreamRef } from './video-streams.js';

/**
 * The stream tag APIs (TagStream, UntagStream, ListTagsForStream) take a StreamARN: one that names
 * another kind of resource (a channel) is InvalidResourceFormatException, as their error lists say.
 */
export function resolveStreamRef(ref: StreamRef): StreamRef {
  if (ref.StreamARN !== undefined && parseResourceArn(ref.StreamARN)?.kind !== 'stream') throw invalidResourceFormat(ref.StreamARN);
  return { StreamName: ref.StreamName, StreamARN: ref.StreamARN };
}

/** What TagResource, UntagResource and ListTagsForResource act on: a stream or a signaling channel. */
export function resourceKind(arn: string): 'stream' | 'channel' {
  const kind = parseResourceArn(arn)?.kind;
  if (kind === 'stream' || kind === 'channel') return kind;
  throw resourceNotFound();
}
