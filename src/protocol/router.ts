import type { RequestHandler } from '../transport/listener.js';
import { drain, sendRaw, type ServerRequest, type ServerResponse } from './http-exchange.js';

/**
 * One port for the whole family, separated the way AWS's own endpoints separate services
 * (DESIGN.md "The family on one endpoint"), before any service code runs:
 * 1. `/_millrace…` paths are Millrace's own pages (health, the console, metrics), and `GET /metrics`
 *    is the Prometheus page as well;
 * 2. an `X-Amz-Target` header is a JSON-protocol call: the JSON pipeline finds the service by the
 *    target's prefix (`Kinesis_20131202`, `Firehose_20150804`, …) and answers unknown ones;
 * 3. otherwise the SigV4 credential scope names the service (`s3`, `kinesisvideo`, …), from the
 *    `Authorization` header or, for presigned requests, the `X-Amz-Credential` query parameter;
 * 4. a request with neither is offered to the REST services that take anonymous requests (S3's
 *    virtual-hosted and path-style object URLs, video playback URLs); a browser's `GET /` goes
 *    to the console; everything else gets the JSON pipeline's (Kinesis's) answers.
 */

/** A service that speaks a protocol of its own over HTTP (REST-JSON, REST-XML). */
export interface HttpService {
  /** The SigV4 signing names whose credential scopes reach this service, e.g. `s3`. */
  readonly signingNames: readonly string[];
  /** Whether an unsigned, unpresigned request is this service's (by host or path). */
  claimsAnonymous?(req: ServerRequest): boolean;
  readonly handle: RequestHandler;
}

export interface RouterOptions {
  /** The JSON pipeline (pipeline.ts): every X-Amz-Target service. */
  json: RequestHandler;
  /** Signing names of the JSON services: a request scoped to one of them without a target is theirs to answer. */
  jsonSigningNames: readonly string[];
  rest: readonly HttpService[];
  /** Millrace's own pages under BUILTIN_PREFIX. */
  builtin: RequestHandler;
  /** JSON-protocol services outside the JSON pipeline, by X-Amz-Target prefix (CloudWatch's JSON 1.0). */
  targets?: readonly { targetPrefix: string; handle: RequestHandler }[];
  /** `GET /metrics`: the Prometheus page, where scrapers look by default (also at `/_millrace/metrics`). */
  metrics?: RequestHandler;
}

/** Where Millrace's own pages live; nothing AWS serves starts with an underscore path segment. */
export const BUILTIN_PREFIX = '/_millrace';
/** Prometheus's default scrape path, served outside the prefix too. */
export const METRICS_PATH = '/metrics';
/** Where a browser that opens the endpoint is sent. */
export const CONSOLE_PATH = `${BUILTIN_PREFIX}/`;

export function createRouter(options: RouterOptions): RequestHandler {
  const bySigningName = new Map<string, RequestHandler>();
  for (const name of options.jsonSigningNames) bySigningName.set(name, options.json);
  for (const service of options.rest) {
    for (const name of service.signingNames) {
      if (bySigningName.has(name)) throw new Error(`two services claim the signing name ${name}`);
      bySigningName.set(name, service.handle);
    }
  }
  const anonymous = options.rest.filter((service) => service.claimsAnonymous);
  const { json, builtin, metrics } = options;
  const targets = options.targets ?? [];

  return (req, res) => {
    // The hot path (every Kinesis call) is one header look-up, and a prefix test per target service.
    const target = req.headers['x-amz-target'] as string | undefined;
    if (target !== undefined) {
      for (let i = 0; i < targets.length; i++) if (target.startsWith(targets[i].targetPrefix)) return targets[i].handle(req, res);
      return json(req, res);
    }
    const url = req.url ?? '/';
    if (isBuiltin(url)) return builtin(req, res);
    if (metrics && req.method === 'GET' && (url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`))) return metrics(req, res);
    const scope = signingName(req, url);
    if (scope !== undefined) {
      const handler = bySigningName.get(scope);
      if (handler) return handler(req, res);
      return unrecognizedService(req, res, scope);
    }
    if (req.method === 'GET' && (url === '/' || url.startsWith('/?')) && acceptsHtml(req)) return redirect(res, CONSOLE_PATH);
    for (const service of anonymous) if (service.claimsAnonymous!(req)) return service.handle(req, res);
    return json(req, res);
  };
}

function isBuiltin(url: string): boolean {
  if (!url.startsWith(BUILTIN_PREFIX)) return false;
  const next = url.charCodeAt(BUILTIN_PREFIX.length);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */;
}

/**
 * The service of the SigV4 credential scope, `AKID/20240101/us-east-1/s3/aws4_request`, or
 * undefined for a request that carries none.
 */
export function signingName(req: ServerRequest, url: string): string | undefined {
  const authorization = req.headers.authorization;
  let credential: string | undefined;
  if (typeof authorization === 'string') {
    const at = authorization.indexOf('Credential=');
    if (at !== -1) {
      const end = authorization.slice(at + 11).search(/[\s,]/);
      credential = authorization.slice(at + 11, end === -1 ? undefined : at + 11 + end);
    }
  } else {
    const query = url.indexOf('?');
    if (query !== -1 && url.includes('X-Amz-Credential=', query)) {
      credential = new URLSearchParams(url.slice(query + 1)).get('X-Amz-Credential') ?? undefined;
    }
  }
  if (!credential) return undefined;
  const service = credential.split('/')[3];
  return service || undefined;
}

function acceptsHtml(req: ServerRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function redirect(res: ServerResponse, location: string): void {
  res.setHeader('Location', location);
  sendRaw(res, 302, undefined, '');
}

/**
 * A signed request for a service Millrace does not serve: AWS's answer when an endpoint finds no
 * authorization strategy for the service (KINESIS-SPEC §1.6 step 4, recorded by kinesalite).
 */
async function unrecognizedService(req: ServerRequest, res: ServerResponse, service: string): Promise<void> {
  await drain(req);
  const xml = `<UnrecognizedClientException>\n  <Message>No authorization strategy was found for service: ${escapeXml(service)}, operation: </Message>\n</UnrecognizedClientException>\n`;
  sendRaw(res, 403, undefined, xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
