import { invalidArgument, resourceInUse } from '../../protocol/errors.js';
import { checkDestination, checkDestinationChange } from '../domain/destination-checks.js';
import type { DeliveryStreamDocument } from '../domain/delivery-stream.js';
import { destinationsOf, kindOf, REFUSED_DESTINATIONS, secretsOf, updateDestination, type DestinationKind } from '../domain/destination.js';
import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound, destinationNotFound, EXACTLY_ONE_DESTINATION_UPDATE, unsupportedDestination, versionMismatch } from '../errors.js';

type Json = Record<string, unknown>;

/**
 * §4: the same destination kind merges (unspecified members kept), another kind replaces; the
 * version must match CurrentDeliveryStreamVersionId and goes up by one; the stream stays ACTIVE.
 */
export default async function updateDestinationOperation(input: Json, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const name = input.DeliveryStreamName as string;
  const updates = destinationsOf(input, 'DestinationUpdate');
  if (updates.length !== 1) throw invalidArgument(EXACTLY_ONE_DESTINATION_UPDATE);
  const [[kind, update]] = updates;
  if (REFUSED_DESTINATIONS.has(kind)) throw unsupportedDestination(`${kind}DestinationUpdate`);
  // The checks (jq compiles a query) run outside the compare-and-set: a lost race starts over.
  for (;;) {
    const current = await firehose.streams.find({ account, region }, name);
    if (!current) throw deliveryStreamNotFound(name, account);
    const next = prepare(current, kind, update, input, account);
    const problem = await checkDestination(next.destination);
    if (problem) throw invalidArgument(problem);
    let raced = false;
    const stored = await firehose.streams.update({ account, region }, name, (stream) => {
      if (stream.version !== current.version) {
        raced = true;
        return undefined;
      }
      return next;
    });
    if (!stored) throw deliveryStreamNotFound(name, account);
    if (!raced) return {};
  }
}

function prepare(current: DeliveryStreamDocument, kind: DestinationKind, update: Json, input: Json, account: string): DeliveryStreamDocument {
  const given = input.CurrentDeliveryStreamVersionId as string;
  if (given !== String(current.version)) throw versionMismatch(current.name, current.version, given);
  if (input.DestinationId !== current.destination.DestinationId) throw destinationNotFound(input.DestinationId as string);
  if (current.status !== 'ACTIVE') throw resourceInUse(`Firehose ${current.name} under account ${account} is not ACTIVE, instead in state ${current.status}.`);
  const refused = checkDestinationChange(current.destination, kind, update);
  if (refused) throw invalidArgument(refused);
  return {
    ...current,
    destination: updateDestination(current.destination, kind, update),
    secrets: secretsOf(kind, update, kind === kindOf(current.destination) ? current.secrets : {}),
    version: current.version + 1,
    lastUpdateTimestamp: Date.now(),
  };
}

