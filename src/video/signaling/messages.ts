/**
 * The WebRTC signaling message format (VIDEO-SPEC §6, the JS WebRTC SDK's SignalingClient):
 * clients send `{"action","messagePayload","recipientClientId","correlationId"}`, the service sends
 * `{"messageType","messagePayload","senderClientId","statusResponse"}`. Payloads are base64 of the
 * SDP or candidate JSON; the relay passes them on unread.
 */

export const ACTIONS = ['SDP_OFFER', 'SDP_ANSWER', 'ICE_CANDIDATE'] as const;
export type Action = (typeof ACTIONS)[number];

/** kinesis-video-signaling model, MessagePayload: 1..10000 base64 characters. */
export const MAX_MESSAGE_PAYLOAD_CHARS = 10_000;
const BASE64 = /^[a-zA-Z0-9+/=]+$/;
/** kinesis-video-signaling model, ClientId. */
export const CLIENT_ID_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;
/** Longest correlationId echoed back (the SDK makes them from a timestamp; bound is Millrace's). */
const MAX_CORRELATION_ID = 256;

export interface ClientMessage {
  action: Action;
  messagePayload: string;
  recipientClientId?: string;
  correlationId?: string;
}

export interface StatusResponse {
  correlationId?: string;
  errorType: string;
  statusCode: string;
  description: string;
}

export interface ServerMessage {
  messageType: Action | 'STATUS_RESPONSE';
  messagePayload?: string;
  senderClientId?: string;
  statusResponse?: StatusResponse;
}

/** UNVERIFIED texts of the STATUS_RESPONSE descriptions (AWS's are not on record). */
export const MESSAGE_NOT_JSON = 'The message is not a JSON object.';
export const ACTION_INVALID = (action: unknown) => `The action ${JSON.stringify(action)} is not one of ${ACTIONS.join(', ')}.`;
export const PAYLOAD_INVALID = `messagePayload must be 1 to ${MAX_MESSAGE_PAYLOAD_CHARS} base64 characters.`;
export const RECIPIENT_INVALID = 'recipientClientId must be 1 to 256 characters of [a-zA-Z0-9_.-].';
export const RECIPIENT_REQUIRED = 'The master must name a recipientClientId.';
export const RECIPIENT_UNKNOWN = (id: string) => `The recipient client ${id} is not connected to the channel.`;
export const MASTER_NOT_CONNECTED = 'No master is connected to the channel.';

export class BadMessage extends Error {
  constructor(message: string, readonly correlationId?: string) {
    super(message);
  }
}

/** A client message, or BadMessage saying why not. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadMessage(MESSAGE_NOT_JSON);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BadMessage(MESSAGE_NOT_JSON);
  const message = value as Record<string, unknown>;
  const correlationId = typeof message.correlationId === 'string' && message.correlationId.length <= MAX_CORRELATION_ID ? message.correlationId : undefined;
  if (!ACTIONS.includes(message.action as Action)) throw new BadMessage(ACTION_INVALID(message.action), correlationId);
  const payload = message.messagePayload;
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_MESSAGE_PAYLOAD_CHARS || !BASE64.test(payload)) {
    throw new BadMessage(PAYLOAD_INVALID, correlationId);
  }
  const recipient = message.recipientClientId;
  if (recipient !== undefined && recipient !== null && (typeof recipient !== 'string' || !CLIENT_ID_PATTERN.test(recipient))) {
    throw new BadMessage(RECIPIENT_INVALID, correlationId);
  }
  return { action: message.action as Action, messagePayload: payload, recipientClientId: (recipient as string | null) ?? undefined, correlationId };
}

/** A STATUS_RESPONSE for a message the relay could not take (AWS's shape: errorType, statusCode, description). */
export function statusResponse(description: string, correlationId?: string, errorType = 'InvalidArgumentException', statusCode = '400'): ServerMessage {
  return { messageType: 'STATUS_RESPONSE', statusResponse: { ...(correlationId !== undefined ? { correlationId } : {}), errorType, statusCode, description } };
}
