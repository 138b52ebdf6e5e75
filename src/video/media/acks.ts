/**
 * PutMedia acknowledgements (VIDEO-SPEC §3.4): one JSON object per line on the response body,
 * `EventType` as the wire spells it (the docs say AckEventType), FragmentTimecode echoing the raw
 * Cluster Timecode the producer sent.
 */
export type AckEventType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'ERROR' | 'IDLE';

/** ErrorId → ErrorCode of PutMedia's ERROR acks (VIDEO-SPEC §3.4 table). */
export const ACK_ERRORS = {
  STREAM_READ_ERROR: 4000,
  MAX_FRAGMENT_SIZE_REACHED: 4001,
  MAX_FRAGMENT_DURATION_REACHED: 4002,
  MAX_CONNECTION_DURATION_REACHED: 4003,
  FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS: 4004,
  MORE_THAN_ONE_TRACK_FOUND: 4005,
  INVALID_MKV_DATA: 4006,
  INVALID_PRODUCER_TIMESTAMP: 4007,
  STREAM_NOT_ACTIVE: 4008,
  FRAGMENT_METADATA_LIMIT_REACHED: 4009,
  TRACK_NUMBER_MISMATCH: 4010,
  FRAMES_MISSING_FOR_TRACK: 4011,
  MORE_THAN_ALLOWED_TRACKS_FOUND: 4012,
  INTERNAL_ERROR: 5000,
  ARCHIVAL_ERROR: 5001,
} as const;

export type AckErrorCode = keyof typeof ACK_ERRORS;

export interface Ack {
  EventType: AckEventType;
  FragmentTimecode?: number;
  FragmentNumber?: string;
  ErrorId?: number;
  ErrorCode?: AckErrorCode;
}

/** An ack as its line on the wire (key order as captured: EventType, FragmentTimecode, FragmentNumber, ErrorCode, ErrorId). */
export function ackLine(ack: Ack): string {
  const out: Record<string, unknown> = { EventType: ack.EventType };
  if (ack.FragmentTimecode !== undefined) out.FragmentTimecode = ack.FragmentTimecode;
  if (ack.FragmentNumber !== undefined) out.FragmentNumber = ack.FragmentNumber;
  if (ack.ErrorCode !== undefined) out.ErrorCode = ack.ErrorCode;
  if (ack.ErrorId !== undefined) out.ErrorId = ack.ErrorId;
  return `${JSON.stringify(out)}\n`;
}

/** A failure of the ingest that ends the connection with an ERROR ack. */
export class AckError extends Error {
  constructor(readonly code: AckErrorCode, message: string, readonly fragment?: { timecode: number; number: string }) {
    super(message);
  }

  ack(): Ack {
    return {
      EventType: 'ERROR',
      FragmentTimecode: this.fragment?.timecode,
      FragmentNumber: this.fragment?.number,
      ErrorId: ACK_ERRORS[this.code],
      ErrorCode: this.code,
    };
  }
}
