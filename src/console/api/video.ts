import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { loadCredentialList } from '../../protocol/sigv4.js';
import type { VideoContext } from '../../video/context.js';
import type { VideoStreamDoc } from '../../video/domain/video-stream.js';
import { FragmentStore, streamLogs, type StoredFragment } from '../../video/media/fragment-store.js';
import { retentionHorizon } from '../../video/media/runtime.js';
import type { ConsoleDeps } from '../deps.js';
import { ApiError, notFound } from './errors.js';
import { choice, integer, type ConsoleScope } from './params.js';

/**
 * Kinesis Video streams as the console shows them (issue 18 §1 "Video"): the streams, their
 * fragments newest first (read from the fragment log as ListFragments reads it), and a live HLS
 * session for the player page, asked of the server's own archived-media API
 * (GetHLSStreamingSessionURL) exactly as a client would, so the player plays what any HLS client gets.
 */

export const DEFAULT_FRAGMENT_PAGE = 50;
export const MAX_FRAGMENT_PAGE = 1_000;
/** The archived-media operation the player calls (VIDEO-SPEC; model kinesis-video-archived-media requestUri). */
export const HLS_SESSION_PATH = '/getHLSStreamingSessionURL';
/** Signing name of the Video APIs. */
const VIDEO_SIGNING_NAME = 'kinesisvideo';
/** How long the player's session URL lives (the model's Expires: 300 to 43,200 s; AWS's default 300). */
export const PLAYER_SESSION_EXPIRES_SECONDS = 3_600;
const HLS_REQUEST_TIMEOUT_MS = 10_000;
/** What the player says when this build routes no GetHLSStreamingSessionURL. */
export const HLS_NOT_SERVED = 'this server does not serve HLS playback (GetHLSStreamingSessionURL is not one of its archived-media operations)';

function requireVideo(deps: ConsoleDeps): VideoContext {
  if (!deps.video) throw notFound('Kinesis Video Streams is not served by this server');
  return deps.video;
}

async function requireVideoStream(video: VideoContext, scope: ConsoleScope, name: string): Promise<VideoStreamDoc> {
  const stream = await video.streams.lookUp(scope.account, scope.region, { StreamName: name });
  if (!stream) throw new ApiError(404, 'ResourceNotFoundException', `The stream ${name} does not exist under account ${scope.account} in ${scope.region}.`);
  return stream;
}

/** Fragments by stream: the fragment log is the same one ListFragments and GetMedia read. */
const fragmentStores = new WeakMap<VideoContext, FragmentStore>();
function fragmentsOf(video: VideoContext): FragmentStore {
  let store = fragmentStores.get(video);
  if (!store) fragmentStores.set(video, (store = new FragmentStore(video.store)));
  return store;
}

function summary(stream: VideoStreamDoc) {
  return {
    name: stream.StreamName,
    arn: stream.StreamARN,
    status: stream.Status,
    mediaType: stream.MediaType,
    deviceName: stream.DeviceName,
    retentionHours: stream.DataRetentionInHours,
    storageTier: stream.DefaultStorageTier,
    createdAt: stream.CreationTime,
    version: stream.Version,
    tags: stream.tags,
  };
}

/** Fragments committed so far (the log's tip) and the newest one. */
async function fragmentStats(video: VideoContext, stream: VideoStreamDoc) {
  const fragments = fragmentsOf(video);
  const logs = streamLogs(stream.StreamARN);
  const tip = await fragments.tip(logs);
  const newest = tip > 0 ? (await fragments.readFragments(logs, tip - 1, retentionHorizon(stream), 1)).fragments[0] : undefined;
  return { committed: tip, newest: newest && fragmentView(newest) };
}

function fragmentView(f: StoredFragment) {
  return { fragmentNumber: f.fn, serverTimestamp: f.st, producerTimestamp: f.pt, lengthMs: f.len, size: f.size, committedAt: f.committed };
}

export async function listVideoStreams(deps: ConsoleDeps, scope: ConsoleScope) {
  const video = requireVideo(deps);
  const streams = await video.streams.list(scope.account, scope.region);
  return {
    account: scope.account,
    region: scope.region,
    streams: await Promise.all(streams.map(async (s) => ({ ...summary(s), fragments: await fragmentStats(video, s) }))),
  };
}

export async function describeVideoStream(deps: ConsoleDeps, scope: ConsoleScope, name: string) {
  const video = requireVideo(deps);
  const stream = await requireVideoStream(video, scope, name);
  return { ...summary(stream), kmsKeyId: stream.KmsKeyId, fragments: await fragmentStats(video, stream) };
}

/**
 * `GET video/{name}/fragments?limit=&before=`: fragments newest first, `before` a log position the
 * previous page gave (`next`). Only fragments still within the stream's retention.
 */
export async function videoFragments(deps: ConsoleDeps, scope: ConsoleScope, name: string, url: URL) {
  const limit = integer(url, 'limit', 1, MAX_FRAGMENT_PAGE, DEFAULT_FRAGMENT_PAGE);
  const video = requireVideo(deps);
  const stream = await requireVideoStream(video, scope, name);
  const fragments = fragmentsOf(video);
  const logs = streamLogs(stream.StreamARN);
  const tip = await fragments.tip(logs);
  const before = integer(url, 'before', 0, Number.MAX_SAFE_INTEGER, tip);
  const end = Math.min(before, tip);
  const from = Math.max(0, end - limit);
  const horizon = retentionHorizon(stream);
  const out: StoredFragment[] = [];
  for (let index = from; index < end; ) {
    const batch = await fragments.readFragments(logs, index, horizon, end - index);
    out.push(...batch.fragments.filter((f) => f.index < end));
    if (batch.fragments.length === 0 || batch.nextIndex <= index) break;
    index = batch.nextIndex;
  }
  out.reverse();
  // A next page only while older fragments may remain (trimmed ones are skipped by the read).
  const oldest = out[out.length - 1];
  return { stream: name, fragments: out.map(fragmentView), next: from > 0 && oldest ? from : undefined };
}

/** The player's session: GetHLSStreamingSessionURL through this server's own archived-media API. */
export async function hlsSession(deps: ConsoleDeps, scope: ConsoleScope, name: string, url: URL) {
  const video = requireVideo(deps);
  await requireVideoStream(video, scope, name);
  const mode = choice(url, 'mode', ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] as const, 'LIVE');
  const body = JSON.stringify({ StreamName: name, PlaybackMode: mode, Expires: PLAYER_SESSION_EXPIRES_SECONDS });
  const endpoint = new URL(deps.endpoint());
  const headers: Record<string, string> = { 'content-type': 'application/json', host: endpoint.host };
  const signed = await sign(deps, scope, endpoint, body, headers);
  let response: Response;
  try {
    response = await fetch(new URL(HLS_SESSION_PATH, endpoint), { method: 'POST', headers: signed, body, signal: AbortSignal.timeout(HLS_REQUEST_TIMEOUT_MS) });
  } catch (err) {
    return { available: false, error: 'Unreachable', message: `GetHLSStreamingSessionURL could not be called: ${(err as Error).message}` };
  }
  const text = await response.text();
  let answer: Record<string, unknown> = {};
  try {
    answer = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* not JSON: reported below with the status */
  }
  if (response.ok && typeof answer.HLSStreamingSessionURL === 'string') return { available: true, mode, url: answer.HLSStreamingSessionURL };
  const type = String(response.headers.get('x-amzn-errortype') ?? answer.__type ?? answer.code ?? `HTTP ${response.status}`).split(':')[0];
  const given = answer.message ?? answer.Message;
  const message =
    typeof given === 'string' && given !== ''
      ? given
      : type === 'UnknownOperationException'
        ? HLS_NOT_SERVED
        : `HTTP ${response.status}${text && text !== '{}' ? `: ${text.slice(0, 300)}` : ''}`;
  return { available: false, error: type, message };
}

/** The archived-media request signed as an SDK would (needed when --credentials checks signatures). */
async function sign(deps: ConsoleDeps, scope: ConsoleScope, endpoint: URL, body: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const entries = deps.config.credentials ? loadCredentialList(deps.config.credentials) : [];
  const own = entries.find((e) => e.accountId === scope.account) ?? entries[0];
  const signer = new SignatureV4({
    service: VIDEO_SIGNING_NAME,
    region: scope.region,
    credentials: { accessKeyId: own?.accessKeyId ?? 'console', secretAccessKey: own?.secretAccessKey ?? 'console' },
    sha256: NodeSha256,
  });
  const request = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    path: HLS_SESSION_PATH,
    query: {},
    headers,
    body,
  });
  return request.headers as Record<string, string>;
}

/** SHA-256 (and HMAC-SHA-256 with a key) for @smithy/signature-v4, from node:crypto. */
class NodeSha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('not reusable');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
}
