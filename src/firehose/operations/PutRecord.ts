import type { FirehoseContext } from '../context.js';
import { ingest, putTarget } from '../ingest.js';

/** §5: one record, acknowledged once durable in the stream's ingest log. */
export default async function putRecord(input: { DeliveryStreamName: string; Record: { Data: Buffer } }, context: FirehoseContext) {
  const stream = await putTarget(input.DeliveryStreamName, context);
  const { recordIds, encrypted } = await ingest(stream, [input.Record.Data], context);
  return { RecordId: recordIds[0]!, Encrypted: encrypted };
}
