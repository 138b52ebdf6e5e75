import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { WebSocket } from 'ws';
import {
  CreateSignalingChannelCommand, GetSignalingChannelEndpointCommand, KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand, KinesisVideoSignalingClient, SendAlexaOfferToMasterCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * WebRTC signaling (issue 17 §6): two or more `ws` clients connect through URLs presigned as the
 * WebRTC SDK presigns them (service kinesisvideo, X-Amz-ChannelARN, X-Amz-ClientId for viewers)
 * and exchange offer, answer and ICE candidates through the relay; bad messages and unknown
 * recipients get STATUS_RESPONSE; GetIceServerConfig and SendAlexaOfferToMaster through
 * @aws-sdk/client-kinesis-video-signaling. The server verifies signatures (--credentials).
 */

const credentials = { accessKeyId: 'AKIDSIGNALING', secretAccessKey: 'signaling-secret' };
const ACCOUNT = '123456789012';
const ICE = 'stun:127.0.0.1:3478,turn:alice:s3cret@127.0.0.1:3479?transport=udp';

let server: TestServer;
let kvs: KinesisVideoClient;
let channelArn: string;
let wssEndpoint: string;
let httpsEndpoint: string;
let signalingClient: KinesisVideoSignalingClient;
const sockets: WebSocket[] = [];

before(async () => {
  server = await startTestServer({ credentials: JSON.stringify([{ ...credentials, accountId: ACCOUNT }]), iceServers: ICE });
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  ({ ChannelARN: channelArn } = (await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'door', SingleMasterConfiguration: { MessageTtlSeconds: 60 } }))) as { ChannelARN: string });
  const { ResourceEndpointList } = await kvs.send(new GetSignalingChannelEndpointCommand({
    ChannelARN: channelArn, SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
  }));
  wssEndpoint = ResourceEndpointList!.find((e) => e.Protocol === 'WSS')!.ResourceEndpoint!;
  httpsEndpoint = ResourceEndpointList!.find((e) => e.Protocol === 'HTTPS')!.ResourceEndpoint!;
  signalingClient = new KinesisVideoSignalingClient({ endpoint: httpsEndpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});

after(async () => {
  for (const socket of sockets) socket.terminate();
  kvs.destroy();
  signalingClient.destroy();
  await server.stop();
});

/** The URL the WebRTC SDK's SigV4RequestSigner makes: GET wss://host/?X-Amz-ChannelARN=…[&X-Amz-ClientId=…], host signed, 299 s. */
async function presign(clientId?: string, secret = credentials.secretAccessKey, arn = channelArn): Promise<string> {
  const url = new URL(wssEndpoint);
  const signer = new SignatureV4({ service: 'kinesisvideo', region: 'us-east-1', sha256: NodeSha256 as any, credentials: { ...credentials, secretAccessKey: secret } });
  const query: Record<string, string> = { 'X-Amz-ChannelARN': arn };
  if (clientId) query['X-Amz-ClientId'] = clientId;
  const signed = await signer.presign({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query, headers: { host: url.host } }, { expiresIn: 299 });
  const params = new URLSearchParams(signed.query as Record<string, string>);
  return `${url.protocol}//${url.host}/?${params}`;
}

interface Peer {
  socket: WebSocket;
  next(): Promise<any>;
  send(message: unknown): void;
}

/** A connected client with a queue of the messages it received. */
async function connect(clientId?: string): Promise<Peer> {
  const socket = new WebSocket(await presign(clientId));
  sockets.push(socket);
  const inbox: any[] = [];
  const waiting: Array<(m: any) => void> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    next: () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => waiting.push(resolve))),
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
  };
}

/** A refused handshake: its HTTP status, error type and message. */
async function refused(url: string): Promise<{ status: number; type: string; body: any }> {
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['x-amzn-errortype']), body: JSON.parse(body) }));
    });
    socket.on('open', () => reject(new Error('the connection was accepted')));
    socket.on('error', () => undefined);
  });
}

/** SHA-256 for the SigV4 signer from node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: Uint8Array | string) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return this.hash.digest();
  }
  reset() {}
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

test('GetSignalingChannelEndpoint names this server: ws:// for WSS, http:// for HTTPS', () => {
  assert.equal(wssEndpoint, server.endpoint.replace(/^http/, 'ws'));
  assert.equal(httpsEndpoint, server.endpoint);
});

test('master and viewer exchange offer, answer and ICE candidates through presigned URLs', async () => {
  const master = await connect();
  const viewer = await connect('viewer-1');
  const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
  viewer.send({ action: 'SDP_OFFER', messagePayload: b64(offer), recipientClientId: null, correlationId: '1' });
  const atMaster = await master.next();
  assert.deepEqual(atMaster, { messageType: 'SDP_OFFER', messagePayload: b64(offer), senderClientId: 'viewer-1' });
  const answer = { type: 'answer', sdp: 'v=0\r\n' };
  master.send({ action: 'SDP_ANSWER', messagePayload: b64(answer), recipientClientId: 'viewer-1' });
  assert.deepEqual(await viewer.next(), { messageType: 'SDP_ANSWER', messagePayload: b64(answer) });
  const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  viewer.send({ action: 'ICE_CANDIDATE', messagePayload: b64(candidate) });
  assert.deepEqual(await master.next(), { messageType: 'ICE_CANDIDATE', messagePayload: b64(candidate), senderClientId: 'viewer-1' });
  master.send({ action: 'ICE_CANDIDATE', messagePayload: b64(candidate), recipientClientId: 'viewer-1' });
  assert.deepEqual(await viewer.next(), { messageType: 'ICE_CANDIDATE', messagePayload: b64(candidate) });
  master.socket.close();
  viewer.socket.close();
});

test('the master reaches each viewer by its client id; an unknown recipient gets STATUS_RESPONSE', async () => {
  const master = await connect();
  const a = await connect('viewer-a');
  const b = await connect('viewer-b');
  master.send({ action: 'SDP_ANSWER', messagePayload: b64('to-b'), recipientClientId: 'viewer-b' });
  assert.equal((await b.next()).messagePayload, b64('to-b'));
  master.send({ action: 'SDP_ANSWER', messagePayload: b64('x'), recipientClientId: 'nobody', correlationId: 'c-7' });
  assert.deepEqual(await master.next(), {
    messageType: 'STATUS_RESPONSE',
    statusResponse: { correlationId: 'c-7', errorType: 'InvalidArgumentException', statusCode: '400', description: 'The recipient client nobody is not connected to the channel.' },
  });
  master.send({ action: 'SDP_ANSWER', messagePayload: b64('to-a'), recipientClientId: 'viewer-a' });
  assert.equal((await a.next()).messagePayload, b64('to-a'), 'viewer-a got nothing meant for others');
  for (const p of [master, a, b]) p.socket.close();
});

test('malformed messages get STATUS_RESPONSE with the reason, and the connection stays usable', async () => {
  const master = await connect();
  const viewer = await connect('viewer-m');
  const cases: Array<[unknown, string]> = [
    ['not json', 'The message is not a JSON object.'],
    [[1, 2], 'The message is not a JSON object.'],
    [{ action: 'HELLO', messagePayload: 'eA==', correlationId: 'k' }, 'The action "HELLO" is not one of SDP_OFFER, SDP_ANSWER, ICE_CANDIDATE.'],
    [{ action: 'SDP_OFFER', correlationId: 'k' }, 'messagePayload must be 1 to 10000 base64 characters.'],
    [{ action: 'SDP_OFFER', messagePayload: 'not base64!', correlationId: 'k' }, 'messagePayload must be 1 to 10000 base64 characters.'],
    [{ action: 'SDP_OFFER', messagePayload: 'A'.repeat(10_001), correlationId: 'k' }, 'messagePayload must be 1 to 10000 base64 characters.'],
    [{ action: 'SDP_OFFER', messagePayload: 'eA==', recipientClientId: 'bad id!', correlationId: 'k' }, 'recipientClientId must be 1 to 256 characters of [a-zA-Z0-9_.-].'],
  ];
  for (const [message, description] of cases) {
    viewer.send(message);
    const reply = await viewer.next();
    assert.equal(reply.messageType, 'STATUS_RESPONSE');
    assert.equal(reply.statusResponse.description, description);
    assert.equal(reply.statusResponse.errorType, 'InvalidArgumentException');
    assert.equal(reply.statusResponse.correlationId, typeof message === 'object' && !Array.isArray(message) ? 'k' : undefined);
  }
  master.send({ action: 'SDP_ANSWER', messagePayload: 'eA==' });
  assert.equal((await master.next()).statusResponse.description, 'The master must name a recipientClientId.');
  viewer.send({ action: 'SDP_OFFER', messagePayload: 'eA==' });
  assert.equal((await master.next()).senderClientId, 'viewer-m', 'still relaying after bad messages');
  master.socket.close();
  viewer.socket.close();
});

test('messages to an absent master wait for it (MessageTtlSeconds); a new master replaces the old', async () => {
  const viewer = await connect('early');
  viewer.send({ action: 'SDP_OFFER', messagePayload: b64('early-offer') });
  await new Promise((r) => setTimeout(r, 50));
  const master = await connect();
  assert.deepEqual(await master.next(), { messageType: 'SDP_OFFER', messagePayload: b64('early-offer'), senderClientId: 'early' });
  const closed = new Promise<number>((resolve) => master.socket.once('close', (code) => resolve(code)));
  const second = await connect();
  assert.equal(await closed, 1001);
  viewer.send({ action: 'ICE_CANDIDATE', messagePayload: b64('c') });
  assert.equal((await second.next()).senderClientId, 'early');
  second.socket.close();
  viewer.socket.close();
});

test('refused connections: bad signature, unknown channel, missing channel, bad client id, the 11th viewer', async () => {
  const forged = await refused(await presign('v', 'wrong-secret'));
  assert.equal(forged.status, 403);
  assert.equal(forged.type, 'InvalidSignatureException');
  const unknown = await refused(await presign('v', undefined, channelArn.replace('/door/', '/nope/')));
  assert.deepEqual([unknown.status, unknown.type, unknown.body], [404, 'ResourceNotFoundException', { message: 'The requested channel is not found or not active.' }]);
  const bare = await refused(wssEndpoint + '/');
  assert.deepEqual([bare.status, bare.type, bare.body], [400, 'InvalidArgumentException', { message: 'X-Amz-ChannelARN is required.' }]);
  const badId = await refused(await presign('bad id'));
  assert.deepEqual([badId.status, badId.body.message], [400, 'X-Amz-ClientId must be 1 to 256 characters of [a-zA-Z0-9_.-].']);
  const viewers = await Promise.all(Array.from({ length: 10 }, (_, n) => connect(`crowd-${n}`)));
  const eleventh = await refused(await presign('crowd-10'));
  assert.deepEqual([eleventh.status, eleventh.type, eleventh.body.message], [400, 'ClientLimitExceededException', 'The signaling channel already has 10 connected viewers.']);
  // A viewer reconnecting with its id is not a new one.
  const again = await connect('crowd-3');
  again.socket.close();
  for (const v of viewers) v.socket.close();
});

test('GetIceServerConfig answers with --ice-servers; unknown channels get ResourceNotFoundException', async () => {
  const { IceServerList } = await signalingClient.send(new GetIceServerConfigCommand({ ChannelARN: channelArn, ClientId: 'viewer-1', Service: 'TURN' }));
  assert.deepEqual(IceServerList, [
    { Uris: ['stun:127.0.0.1:3478'] },
    { Uris: ['turn:127.0.0.1:3479?transport=udp'], Username: 'alice', Password: 's3cret', Ttl: 300 },
  ]);
  await assert.rejects(signalingClient.send(new GetIceServerConfigCommand({ ChannelARN: channelArn.replace('/door/', '/nope/') })), (err: Error) => {
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.message, 'The requested channel is not found or not active.');
    return true;
  });
});

test('SendAlexaOfferToMaster: the master gets the offer and its answer is the response; no master is ResourceNotFoundException', async () => {
  await assert.rejects(signalingClient.send(new SendAlexaOfferToMasterCommand({ ChannelARN: channelArn, SenderClientId: 'alexa', MessagePayload: 'b2ZmZXI=' })), (err: Error) => {
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.message, 'The master of the signaling channel is not connected or did not answer the offer.');
    return true;
  });
  const master = await connect();
  const call = signalingClient.send(new SendAlexaOfferToMasterCommand({ ChannelARN: channelArn, SenderClientId: 'alexa', MessagePayload: 'b2ZmZXI=' }));
  assert.deepEqual(await master.next(), { messageType: 'SDP_OFFER', messagePayload: 'b2ZmZXI=', senderClientId: 'alexa' });
  master.send({ action: 'SDP_ANSWER', messagePayload: 'YW5zd2Vy', recipientClientId: 'alexa' });
  assert.equal((await call).Answer, 'YW5zd2Vy');
  master.socket.close();
});
