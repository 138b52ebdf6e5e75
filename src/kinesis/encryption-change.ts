import { ENCRYPTION_CHANGE, requireKmsType, resolveKmsKey, type EncryptionChange } from './domain/encryption.js';
import { limitExceeded } from '../protocol/errors.js';
import { withinWindow } from './domain/rolling-window.js';
import type { StreamMeta } from './domain/stream.js';
import { streamNotActive, streamNotFound } from './errors.js';
import { requireStream, streamTarget } from './stream-target.js';
import type { KinesisContext } from './context.js';
import { logStreamEvent } from './domain/lifecycle-log.js';

export interface EncryptionRequest {
  StreamName?: string;
  StreamARN?: string;
  EncryptionType: string;
  KeyId: string;
}

/** §3.16 (documented): 25 key changes and 25 disables per stream per rolling 24 hours. */
export const ENCRYPTION_CHANGES_PER_DAY = 25;

/** AWS's text is unrecorded; this one names the limit as UpdateShardCount's does. */
const tooManyChanges = (stream: StreamMeta, enabling: boolean) =>
  limitExceeded(
    enabling
      ? `StartStreamEncryption cannot change the encryption of stream ${stream.name} under account ${stream.account} more than ${ENCRYPTION_CHANGES_PER_DAY} times in a rolling 24-hour period.`
      : `StopStreamEncryption cannot disable the encryption of stream ${stream.name} under account ${stream.account} more than ${ENCRYPTION_CHANGES_PER_DAY} times in a rolling 24-hour period.`,
  );

/**
 * What Start- and StopStreamEncryption share (KINESIS-SPEC §3.16): the same checks, the daily
 * limit, then ACTIVE → UPDATING with the change applied when UPDATING ends.
 */
export async function requestEncryptionChange(
  input: EncryptionRequest,
  context: KinesisContext,
  change: Omit<EncryptionChange, 'kind'>,
): Promise<void> {
  const { kinesis } = context;
  requireKmsType(input.EncryptionType);
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  resolveKmsKey(input.KeyId, found.region, found.account);
  let from: string | undefined;
  const stream = await kinesis.streams.update(target, target.name, (s) => {
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    from = s.encryption.type;
    const now = Date.now();
    const enabling = change.type === 'KMS';
    const recent = withinWindow(enabling ? s.encryptionStartTimes : s.encryptionStopTimes, now);
    if (recent.length >= ENCRYPTION_CHANGES_PER_DAY) throw tooManyChanges(s, enabling);
    const pending = { kind: ENCRYPTION_CHANGE, ...change } as EncryptionChange;
    const counted = enabling ? { encryptionStartTimes: [...recent, now] } : { encryptionStopTimes: [...recent, now] };
    return { ...s, ...counted, status: 'UPDATING', statusUntil: now + kinesis.config.updateStreamMs, pending };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
  logStreamEvent(context.log, stream, 'encryption changed', { from, to: change.type, keyId: change.keyId });
}
