import { MAX_TAGS_PER_RESOURCE } from './limits.js';
import { tagsExceeded } from '../errors.js';

/** Tags as the model's TagList (`[{Key, Value}]`), the form of TagResource and CreateSignalingChannel. */
export type TagList = Array<{ Key: string; Value: string }>;

export const tagMap = (tags: TagList | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((tag) => [tag.Key, tag.Value]));

/** §2.3: a tag that exists is replaced; more than 50 in all is TagsPerResourceExceededLimitException. */
export function withTags(current: Record<string, string>, added: Record<string, string>): Record<string, string> {
  const next = { ...current, ...added };
  if (Object.keys(next).length > MAX_TAGS_PER_RESOURCE) throw tagsExceeded(MAX_TAGS_PER_RESOURCE);
  return next;
}

/** Keys that are not there are ignored, as AWS's untag calls do. */
export function withoutTags(current: Record<string, string>, keys: string[]): Record<string, string> {
  const next = { ...current };
  for (const key of keys) delete next[key];
  return next;
}
