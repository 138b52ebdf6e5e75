import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import controlModel from '../model/kinesisvideo-2017-09-30.json' with { type: 'json' };
import mediaModel from '../model/kinesis-video-media-2017-09-30.json' with { type: 'json' };
import archivedModel from '../model/kinesis-video-archived-media-2017-09-30.json' with { type: 'json' };
import signalingModel from '../model/kinesis-video-signaling-2019-12-04.json' with { type: 'json' };
import type { ServiceModel } from '../model/service-model.js';
import { ModelValidator } from '../model/validate.js';
import { readCredentials } from '../protocol/auth.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { AwsError, internalFailure } from '../protocol/errors.js';
import { sendRaw, type ServerRequest, type ServerResponse } from '../protocol/http-exchange.js';
import { createRestJsonHandler, JSON_CONTENT_TYPE, type RestJsonModel, type RestRequestContext } from '../protocol/rest-json.js';
import type { HttpService } from '../protocol/router.js';
import type { Operation, VideoContext, VideoMediaRoutes, VideoRequestContext } from './context.js';
import { SignalingChannels } from './domain/signaling-channels.js';
import { VideoStreams } from './domain/video-streams.js';
import { ControlRates } from './domain/control-rates.js';
import { asVideoAuthFailure, clientLimitExceeded, ERROR_TYPE_SUFFIX } from './errors.js';

export type { Operation, VideoContext, VideoMediaRoutes, VideoRequestContext } from './context.js';

export const VIDEO_CONTROL_MODEL = controlModel as unknown as RestJsonModel;
export const VIDEO_MEDIA_MODEL = mediaModel as unknown as RestJsonModel;
export const VIDEO_ARCHIVED_MEDIA_MODEL = archivedModel as unknown as RestJsonModel;
/** WebRTC signaling's REST side (GetIceServerConfig, SendAlexaOfferToMaster), also signed as `kinesisvideo`. */
export const VIDEO_SIGNALING_MODEL = signalingModel as unknown as RestJsonModel;
/** §1 fact 1: all three APIs sign as `kinesisvideo`. */
export const VIDEO_SIGNING_NAME = 'kinesisvideo';
/** §1 fact 2: PutMedia is in no model; clients POST the MKV body here. */
export const PUT_MEDIA_PATH = '/putMedia';

/** The Java packages AWS would print for structures in lists (validate.ts), one per model. */
const STRUCTURE_PACKAGES = new Map<RestJsonModel, string>([
  [VIDEO_CONTROL_MODEL, 'com.amazonaws.kinesisvideo.v20170930'],
  [VIDEO_MEDIA_MODEL, 'com.amazonaws.kinesisvideomedia.v20170930'],
  [VIDEO_ARCHIVED_MEDIA_MODEL, 'com.amazonaws.kinesisvideoarchivedmedia.v20170930'],
  [VIDEO_SIGNALING_MODEL, 'com.amazonaws.kinesisvideosignalingchannels.v20191204'],
]);

/** The Video domain over a store: built once per process and shared by the service, the media side and the sweep. */
export function createVideoContext(config: VideoContext['config'], store: VideoContext['store'], log: Logger): VideoContext {
  return { config, store, log, streams: new VideoStreams(store, log), channels: new SignalingChannels(store, log) };
}

/** Loads every control operation module: adding an operation is adding its file. */
async function loadOperations(): Promise<Map<string, Operation>> {
  const dir = new URL('./operations/', import.meta.url);
  const operations = new Map<string, Operation>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.js')) continue;
    const name = file.slice(0, -3);
    if (!VIDEO_CONTROL_MODEL.operations[name]) throw new Error(`video/operations/${file} names no operation of the control model`);
    const module = (await import(new URL(file, dir).href)) as { default: Operation };
    operations.set(name, module.default);
  }
  return operations;
}

/** A model with only the named operations, so that only they are routed. */
function served(model: RestJsonModel, names: Iterable<string>): RestJsonModel {
  const operations = Object.fromEntries([...names].filter((name) => model.operations[name]).map((name) => [name, model.operations[name]]));
  return { ...model, operations };
}

/**
 * Kinesis Video Streams on the shared port (VIDEO-SPEC §2.1): the control, media and
 * archived-media REST-JSON APIs, routed by path under the one signing name `kinesisvideo`, plus
 * PutMedia's raw `POST /putMedia` handed to the media side.
 */
export async function createVideoService(video: VideoContext, sharedAuthenticator: Authenticator, media?: VideoMediaRoutes): Promise<HttpService> {
  const authenticator = videoAuthenticator(sharedAuthenticator);
  const control = await loadOperations();
  const mediaOperations = media?.operations ?? {};
  const models = [VIDEO_CONTROL_MODEL, served(VIDEO_MEDIA_MODEL, Object.keys(mediaOperations)), served(VIDEO_ARCHIVED_MEDIA_MODEL, Object.keys(mediaOperations)), served(VIDEO_SIGNALING_MODEL, Object.keys(mediaOperations))];
  const validatorOf = new Map(models.map((model) => [model, new ModelValidator(model as unknown as ServiceModel, STRUCTURE_PACKAGES.get(originalOf(model))!)]));
  if (media) video.streams.whenPurged((stream) => media.onStreamDeleted(stream));
  const rates = new ControlRates(video.config.enforceLimits);
  const origin = new AsyncLocalStorage<ServerRequest>();

  const rest = createRestJsonHandler(
    {
      models,
      authenticator,
      errorTypeSuffix: ERROR_TYPE_SUFFIX,
      parseInput: (model, operation, input) => validatorOf.get(model)!.parseInput(operation, input),
      async invoke(operation, input, context) {
        const run = control.get(operation) ?? mediaOperations[operation];
        // Every routed operation has its implementation; reaching this is a packaging fault.
        if (!run) throw internalFailure();
        if (!rates.admit(operation, context.account, input, control.has(operation))) throw clientLimitExceeded();
        return run(input, videoRequestContext(context, video, operation, origin.getStore()));
      },
    },
    video.log,
    { bodyIdleTimeoutMs: video.config.bodyTimeoutMs },
  );

  const playback = media?.playback;
  return {
    signingNames: [VIDEO_SIGNING_NAME],
    // Players do not sign playback URLs (issue 17): the router offers them here.
    ...(playback ? { claimsAnonymous: (req: ServerRequest) => req.method === 'GET' && playback.claims(pathOf(req)) } : {}),
    handle(req, res) {
      if (playback && req.method === 'GET' && playback.claims(pathOf(req))) return playback.handle(req, res);
      if (media && req.method === 'POST' && pathOf(req) === PUT_MEDIA_PATH) {
        putMedia(video, authenticator, media, req, res).catch((err) => {
          video.log.error({ err }, 'unhandled error while answering PutMedia');
          if (!res.headersSent) sendRaw(res, 500, undefined, '');
          else res.end();
        });
        return;
      }
      // The request rides along so that an operation can tell where the client reached Millrace.
      origin.run(req, () => rest(req, res));
    },
  };
}

/** The shared authenticator with Video's statuses for its failures (errors.ts AUTH_FAILURE_STATUS). */
function videoAuthenticator(shared: Authenticator): Authenticator {
  return {
    authenticate(request, body, credentials) {
      try {
        const caller = shared.authenticate(request, body, credentials);
        // Without signature checks the caller is known at once: no promise added on that path.
        return caller instanceof Promise ? caller.catch((err: unknown) => Promise.reject(asVideoAuthFailure(err))) : caller;
      } catch (err) {
        throw asVideoAuthFailure(err);
      }
    },
  };
}

/** The shipped model a served (filtered) model was made from. */
function originalOf(model: RestJsonModel): RestJsonModel {
  for (const original of STRUCTURE_PACKAGES.keys()) if (original.metadata === model.metadata) return original;
  return VIDEO_CONTROL_MODEL;
}

function pathOf(req: ServerRequest): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Member by member: spreading the request's context would call its lazy abort-signal getter. */
function videoRequestContext(context: RestRequestContext, video: VideoContext, operation: string, req: ServerRequest | undefined): VideoRequestContext {
  return {
    requestId: context.requestId,
    account: context.account,
    region: context.region,
    credentials: context.credentials,
    log: context.log,
    model: context.model,
    get signal() {
      return context.signal;
    },
    video,
    operation,
    endpoint: req ? endpointOf(req) : `http://${video.config.host}:${video.config.port}`,
  };
}

/** §9.2: the scheme and host the client used, no trailing slash. */
export function endpointOf(req: ServerRequest): string {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const scheme = typeof headers[':scheme'] === 'string' ? headers[':scheme'] : (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  let host = headers[':authority'] ?? headers.host;
  if (Array.isArray(host)) host = host[0];
  if (!host) {
    const address = req.socket?.localAddress ?? '127.0.0.1';
    host = `${address.includes(':') ? `[${address}]` : address}:${req.socket?.localPort ?? 80}`;
  }
  return `${scheme}://${host}`;
}

const NO_BODY = Buffer.alloc(0);

/** `POST /putMedia`: authenticated here, then the media side owns the request and the response. */
async function putMedia(video: VideoContext, authenticator: Authenticator, media: VideoMediaRoutes, req: ServerRequest, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  res.setHeader('x-amzn-RequestId', requestId);
  const url = new URL(req.url ?? '/', 'http://localhost');
  let controller: AbortController | undefined;
  res.on('close', () => {
    if (!res.writableEnded) controller?.abort();
  });
  try {
    const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, url.searchParams);
    const caller = await (media.authenticatePutMedia
      ? Promise.resolve(media.authenticatePutMedia(req, credentials)).catch((err: unknown) => Promise.reject(asVideoAuthFailure(err)))
      : authenticator.authenticate(req, NO_BODY, credentials));
    const context: VideoRequestContext = {
      requestId,
      ...caller,
      credentials,
      log: video.log,
      model: VIDEO_MEDIA_MODEL,
      get signal() {
        controller ??= new AbortController();
        if (res.destroyed && !res.writableEnded) controller.abort();
        return controller.signal;
      },
      video,
      operation: 'PutMedia',
      endpoint: endpointOf(req),
    };
    await media.putMedia(req, res, context);
  } catch (err) {
    if (!(err instanceof AwsError)) throw err;
    req.resume();
    if (res.headersSent) return void res.end();
    res.setHeader('x-amzn-ErrorType', `${err.type}${ERROR_TYPE_SUFFIX}`);
    const shape = VIDEO_MEDIA_MODEL.shapes[err.type];
    const key = shape?.members && 'Message' in shape.members ? 'Message' : 'message';
    sendRaw(res, shape?.error?.httpStatusCode ?? err.status, JSON_CONTENT_TYPE, JSON.stringify(err.hasMessage ? { [key]: err.message } : {}));
  }
}
