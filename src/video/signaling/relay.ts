import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { readCredentials } from '../../protocol/auth.js';
import type { Authenticator } from '../../protocol/authenticator.js';
import { AwsError } from '../../protocol/errors.js';
import type { VideoContext } from '../context.js';
import type { SignalingChannelDoc } from '../domain/signaling-channel.js';
import { CHANNEL_NOT_FOUND } from '../errors.js';
import {
  BadMessage, CLIENT_ID_PATTERN, MASTER_NOT_CONNECTED, parseClientMessage, RECIPIENT_REQUIRED, RECIPIENT_UNKNOWN, statusResponse,
  type ClientMessage, type ServerMessage,
} from './messages.js';

/**
 * The WebRTC signaling relay (issue 17 §6, VIDEO-SPEC §6): the WSS endpoint that
 * GetSignalingChannelEndpoint names. A client connects with a SigV4-presigned URL carrying
 * X-Amz-ChannelARN (and X-Amz-ClientId for a VIEWER; none means the MASTER); the relay passes
 * SDP offers, answers and ICE candidates between the channel's one MASTER and its VIEWERs. Media
 * never passes here: peers connect to each other.
 *
 * Single node: the peers of a channel are met in this process's memory, so a master and its
 * viewers must reach the same Millrace node (in distributed mode, put signaling behind one node
 * or a sticky balancer). Channels themselves are in the store, so any node accepts any channel.
 */

/** AWS's documented limit: up to 10 viewers per signaling channel (SINGLE_MASTER). */
export const MAX_VIEWERS_PER_CHANNEL = 10;
/** Largest WebSocket message taken: a 10,000-character payload plus the envelope. */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Undelivered messages to an absent master kept per channel (MessageTtlSeconds bounds their age). */
export const MAX_PENDING_TO_MASTER = 100;
/** UNVERIFIED texts of refused connections. */
export const CHANNEL_ARN_REQUIRED = 'X-Amz-ChannelARN is required.';
export const CLIENT_ID_INVALID = 'X-Amz-ClientId must be 1 to 256 characters of [a-zA-Z0-9_.-].';
export const VIEWER_LIMIT = `The signaling channel already has ${MAX_VIEWERS_PER_CHANNEL} connected viewers.`;
export const CHANNEL_NOT_SINGLE_MASTER = 'Only SINGLE_MASTER signaling channels relay messages.';
/** Close code for a connection a newer one of the same role and client id replaced (RFC 6455: going away). */
const REPLACED_CLOSE_CODE = 1001;
/** Errors of the SigV4 layer answered with 403 (KINESIS-SPEC §1.7), others with their own status. */
const AUTH_ERRORS = new Set(['MissingAuthenticationTokenException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'AccessDeniedException']);

const NO_BODY = Buffer.alloc(0);

interface Pending {
  message: ServerMessage;
  expires: number;
}

interface ChannelPeers {
  master?: WebSocket;
  viewers: Map<string, WebSocket>;
  /** Viewer messages sent while no master was connected, kept MessageTtlSeconds. */
  toMaster: Pending[];
  /** SendAlexaOfferToMaster calls waiting for the master's answer, by their sender client id. */
  answers: Map<string, (payload: string) => void>;
}

export class SignalingRelay {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly channels = new Map<string, ChannelPeers>();

  constructor(private readonly video: VideoContext, private readonly authenticator: Authenticator) {}

  /** The HTTP/1.1 `upgrade` event's handler (transport/listener.ts). */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.accept(req, socket, head).catch((err) => {
      this.video.log.error({ err }, 'signaling connection failed');
      refuse(socket, 500, 'InternalFailure', 'An internal error occurred.');
    });
  };

  /** Closes every signaling connection of this node (shutdown). */
  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.channels.clear();
  }

  private async accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const channelArn = url.searchParams.get('X-Amz-ChannelARN');
    const clientId = url.searchParams.get('X-Amz-ClientId') ?? undefined;
    let channel: SignalingChannelDoc;
    try {
      if (!channelArn) throw new AwsError('InvalidArgumentException', CHANNEL_ARN_REQUIRED);
      if (clientId !== undefined && !CLIENT_ID_PATTERN.test(clientId)) throw new AwsError('InvalidArgumentException', CLIENT_ID_INVALID);
      const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, url.searchParams);
      const caller = await this.authenticator.authenticate(req, NO_BODY, credentials);
      channel = await this.video.channels.find(caller.account, caller.region, { ChannelARN: channelArn });
      if (channel.ChannelStatus !== 'ACTIVE') throw new AwsError('ResourceNotFoundException', CHANNEL_NOT_FOUND, 404);
      if (channel.ChannelType !== 'SINGLE_MASTER') throw new AwsError('InvalidArgumentException', CHANNEL_NOT_SINGLE_MASTER);
      const peers = this.channels.get(channel.ChannelARN);
      if (clientId !== undefined && peers && !peers.viewers.has(clientId) && peers.viewers.size >= MAX_VIEWERS_PER_CHANNEL) {
        throw new AwsError('ClientLimitExceededException', VIEWER_LIMIT);
      }
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      return refuse(socket, AUTH_ERRORS.has(err.type) ? 403 : err.status, err.type, err.message);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.join(channel, clientId, ws));
  }

  private peersOf(arn: string): ChannelPeers {
    let peers = this.channels.get(arn);
    if (!peers) this.channels.set(arn, (peers = { viewers: new Map(), toMaster: [], answers: new Map() }));
    return peers;
  }

  private join(channel: SignalingChannelDoc, clientId: string | undefined, ws: WebSocket): void {
    const arn = channel.ChannelARN;
    const peers = this.peersOf(arn);
    // A newer connection of the same master or viewer replaces the older one.
    const previous = clientId === undefined ? peers.master : peers.viewers.get(clientId);
    if (previous) previous.close(REPLACED_CLOSE_CODE);
    if (clientId === undefined) {
      peers.master = ws;
      const now = Date.now();
      for (const pending of peers.toMaster.splice(0)) if (pending.expires > now) send(ws, pending.message);
    } else {
      peers.viewers.set(clientId, ws);
    }
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
      this.relay(channel, peers, clientId, ws, text);
    });
    ws.on('close', () => {
      if (clientId === undefined) {
        if (peers.master === ws) peers.master = undefined;
      } else if (peers.viewers.get(clientId) === ws) peers.viewers.delete(clientId);
      if (!peers.master && peers.viewers.size === 0 && peers.toMaster.length === 0 && peers.answers.size === 0) this.channels.delete(arn);
    });
  }

  private relay(channel: SignalingChannelDoc, peers: ChannelPeers, clientId: string | undefined, ws: WebSocket, text: string): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      if (!(error instanceof BadMessage)) throw error;
      return send(ws, statusResponse(error.message, error.correlationId));
    }
    if (clientId === undefined) {
      // From the master: to the viewer it names.
      const recipient = message.recipientClientId;
      if (recipient === undefined) return send(ws, statusResponse(RECIPIENT_REQUIRED, message.correlationId));
      const answer = peers.answers.get(recipient);
      if (answer) {
        if (message.action === 'SDP_ANSWER') answer(message.messagePayload);
        return;
      }
      const viewer = peers.viewers.get(recipient);
      if (!viewer) return send(ws, statusResponse(RECIPIENT_UNKNOWN(recipient), message.correlationId));
      return send(viewer, { messageType: message.action, messagePayload: message.messagePayload });
    }
    // From a viewer: always to the master, kept for MessageTtlSeconds while none is connected.
    const out: ServerMessage = { messageType: message.action, messagePayload: message.messagePayload, senderClientId: clientId };
    if (peers.master) return send(peers.master, out);
    const now = Date.now();
    peers.toMaster = peers.toMaster.filter((p) => p.expires > now);
    if (peers.toMaster.length >= MAX_PENDING_TO_MASTER) return send(ws, statusResponse(MASTER_NOT_CONNECTED, message.correlationId));
    peers.toMaster.push({ message: out, expires: now + channel.SingleMasterConfiguration.MessageTtlSeconds * 1000 });
  }

  /**
   * SendAlexaOfferToMaster: the offer goes to the connected master as from `senderClientId`, and
   * the master's SDP_ANSWER to that id comes back; undefined when no master is connected or it
   * does not answer within `timeoutMs`.
   */
  async offerToMaster(channelArn: string, senderClientId: string, payload: string, timeoutMs: number): Promise<string | undefined> {
    const peers = this.channels.get(channelArn);
    if (!peers?.master) return undefined;
    const master = peers.master;
    return new Promise((resolve) => {
      const done = (answer: string | undefined) => {
        clearTimeout(timer);
        if (peers.answers.get(senderClientId) === done) peers.answers.delete(senderClientId);
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      peers.answers.set(senderClientId, done);
      send(master, { messageType: 'SDP_OFFER', messagePayload: payload, senderClientId });
    });
  }
}

function send(ws: WebSocket, message: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

/** Answers a refused WebSocket handshake as a REST error: status, x-amzn-ErrorType, JSON message. */
function refuse(socket: Duplex, status: number, type: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nx-amzn-ErrorType: ${type}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };
