import { invalidArgument, resourceNotFound } from '../protocol/errors.js';
import { parseStreamArn } from './domain/arn.js';
import { consumerKey, parseConsumerArn, type ConsumerMeta } from './domain/consumers.js';
import { requireConsumer } from './consumer-target.js';
import { streamNotActive, streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';
import { requireStream, type StreamTarget } from './stream-target.js';

/** Tags per stream or consumer (KINESIS-SPEC §3.17, §4.9). */
export const MAX_TAGS_PER_RESOURCE = 50;

/**
 * Characters AWS accepts in tag keys and values: Unicode letters (with their marks), digits,
 * spaces, `_ . / = + - @`, and `:` (newer docs). `%` passes this first check but is refused
 * by the second one, as recorded (§3.17). Tabs and newlines are not "white space" here.
 */
const TAG_CHARACTERS = /^[\p{L}\p{M}\p{N}\p{Zs}_./=+\-@%:]*$/u;
/** Keys in this namespace belong to AWS (§3.17); AWS checks it case-insensitively. */
const RESERVED_PREFIX = 'aws:';

/** What a tag operation addresses, named as its messages name it. */
export interface TaggedResource {
  /** `stream {name}` or `consumer {name}` in messages. */
  kind: 'stream' | 'consumer';
  name: string;
  account: string;
}

type Change = 'add' | 'remove';

/** Validates tag texts, with the recorded messages of §3.17 (after the resource is found: a missing one answers not found). */
export function checkTagTexts(texts: string[], change: Change, resource: TaggedResource, keys: string[]): void {
  if (texts.some((text) => !TAG_CHARACTERS.test(text))) {
    throw invalidArgument('Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.');
  }
  const failed = `Failed to ${change === 'add' ? 'add tags to' : 'remove tags from'} ${resource.kind} ${resource.name} under account ${resource.account}`;
  if (texts.some((text) => text.includes('%'))) {
    throw invalidArgument(
      `${failed} because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.`,
    );
  }
  if (keys.some((key) => key.toLowerCase().startsWith(RESERVED_PREFIX))) {
    throw invalidArgument(`${failed} because tag keys beginning with ${RESERVED_PREFIX} are reserved for AWS use.`);
  }
}

export function checkNewTags(tags: Record<string, string>, resource: TaggedResource): void {
  const keys = Object.keys(tags);
  checkTagTexts([...keys, ...Object.values(tags)], 'add', resource, keys);
}

/** Adding overwrites existing keys; the total may not exceed the limit (§3.17). */
export function addTags(current: Record<string, string>, added: Record<string, string>, resource: TaggedResource): Record<string, string> {
  const next = { ...current, ...added };
  if (Object.keys(next).length > MAX_TAGS_PER_RESOURCE) {
    // The recorded text says 10 although the enforced total is 50 (§3.17).
    const given = resource.kind === 'stream' ? 'a given stream cannot have more than 10 tags' : `a given consumer cannot have more than ${MAX_TAGS_PER_RESOURCE} tags`;
    throw invalidArgument(`Failed to add tags to ${resource.kind} ${resource.name} under account ${resource.account} because ${given} associated with it.`);
  }
  return next;
}

/** Removing a key that is not there is a no-op (§3.17). */
export function removeTags(current: Record<string, string>, keys: string[]): Record<string, string> {
  const next = { ...current };
  for (const key of keys) delete next[key];
  return next;
}

/** The API's `TagList`, keys ascending. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.keys(tags)
    .sort()
    .map((key) => ({ Key: key, Value: tags[key] }));
}

/**
 * A stream's tags, changed with compare-and-set. The stream is looked up first: a missing stream
 * answers ResourceNotFoundException even when the tags are bad (recorded, §3.17); then `check`
 * validates the tags. Only an ACTIVE stream's tags may change (§3.1, §5.1); that check happens on
 * the state the change is applied to.
 */
export async function changeStreamTags(
  target: StreamTarget,
  context: KinesisContext,
  check: () => void,
  change: (tags: Record<string, string>) => Record<string, string>,
): Promise<void> {
  const found = await requireStream(target, context);
  check();
  const stored = await context.kinesis.streams.update(target, target.name, (stream) => {
    if (stream.status !== 'ACTIVE') throw streamNotActive(stream.name, target.account, stream.status);
    return { ...stream, tags: change(stream.tags) };
  });
  // Gone between the lookup and the change: deleted (DELETING with no delay purges at once).
  if (!stored) throw streamNotFound(found.name, target.account);
}

/** A `ResourceARN` (TagResource, UntagResource, ListTagsForResource): a stream or a consumer. */
export type ResourceRef =
  | { kind: 'stream'; target: StreamTarget }
  | { kind: 'consumer'; arn: string; target: StreamTarget; consumerName: string };

export function parseResourceArn(arn: string): ResourceRef {
  const consumer = parseConsumerArn(arn);
  const location = parseStreamArn(consumer?.streamArn ?? arn);
  if (!location) throw invalidArgument(`Invalid ResourceARN ${arn}`);
  const target = { account: location.account, region: location.region, name: location.streamName };
  if (consumer) return { kind: 'consumer', arn, target, consumerName: consumer.consumerName };
  // A stream ARN is exactly `…:stream/{name}`; anything after the name is not a resource we know.
  if (arn.slice(arn.indexOf(':stream/') + ':stream/'.length) !== location.streamName) {
    throw resourceNotFound(`Resource ${arn} not found.`);
  }
  return { kind: 'stream', target };
}

export const describedResource = (ref: ResourceRef): TaggedResource =>
  ref.kind === 'stream'
    ? { kind: 'stream', name: ref.target.name, account: ref.target.account }
    : { kind: 'consumer', name: ref.consumerName, account: ref.target.account };

/** The tags of a resource (any status). */
export async function resourceTags(ref: ResourceRef, context: KinesisContext): Promise<Record<string, string>> {
  if (ref.kind === 'stream') return (await requireStream(ref.target, context)).tags;
  return (await requireConsumer({ ConsumerARN: ref.arn }, context)).consumer.tags;
}

/** Changes a resource's tags with compare-and-set, once it is found and `check` passes; consumers' entries are changed in place. */
export async function changeResourceTags(
  ref: ResourceRef,
  context: KinesisContext,
  check: () => void,
  change: (tags: Record<string, string>) => Record<string, string>,
): Promise<void> {
  if (ref.kind === 'stream') return changeStreamTags(ref.target, context, check, change);
  const store = context.kinesis.store;
  for (let first = true; ; first = false) {
    const { consumer } = await requireConsumer({ ConsumerARN: ref.arn }, context);
    if (first) check();
    const key = consumerKey(consumer.streamId, consumer.name);
    const entry = await store.meta.get<ConsumerMeta>(key);
    if (!entry || entry.value.arn !== ref.arn) continue;
    const next: ConsumerMeta = { ...entry.value, tags: change(entry.value.tags ?? {}) };
    if ((await store.meta.put(key, next, entry.revision)) !== undefined) return;
  }
}
