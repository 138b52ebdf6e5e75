import type { FirehoseContext } from '../context.js';
import { ingest, putTarget } from '../ingest.js';

/**
 * §5: 1–500 records (model), at most 4 MiB in all; RequestResponses[i] answers Records[i]. One
 * append stores the whole batch, so entries either all succeed or the call fails as a whole:
 * FailedPutCount is 0 whenever Millrace answers 200.
 */
export default async function putRecordBatch(input: { DeliveryStreamName: string; Records: Array<{ Data: Buffer }> }, context: FirehoseContext) {
  const stream = await putTarget(input.DeliveryStreamName, context);
  const { recordIds, encrypted } = await ingest(
    stream,
    input.Records.map((record) => record.Data),
    context,
  );
  return { FailedPutCount: 0, Encrypted: encrypted, RequestResponses: recordIds.map((RecordId) => ({ RecordId })) };
}
