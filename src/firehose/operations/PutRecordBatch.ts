import type { FirehoseContext } from '../context.js';
import { ingest, putTarget, THROTTLED_ENTRY } from '../ingest.js';

/**
 * §5: 1–500 records (model), at most 4 MiB in all; RequestResponses[i] answers Records[i]. The
 * records are stored with one append; under `--enforce-limits` those past the stream's throughput
 * quota are not stored and their entries answer ServiceUnavailableException (FailedPutCount counts
 * them), the others succeed; a request rate past the quota refuses the whole call.
 */
export default async function putRecordBatch(input: { DeliveryStreamName: string; Records: Array<{ Data: Buffer }> }, context: FirehoseContext) {
  const stream = await putTarget(input.DeliveryStreamName, context);
  const { recordIds, encrypted } = await ingest(
    stream,
    input.Records.map((record) => record.Data),
    context,
    { perRecord: true },
  );
  let failed = 0;
  const RequestResponses = recordIds.map((RecordId) => {
    if (RecordId !== undefined) return { RecordId };
    failed++;
    return { ...THROTTLED_ENTRY };
  });
  return { FailedPutCount: failed, Encrypted: encrypted, RequestResponses };
}
