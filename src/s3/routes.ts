import model from '../model/s3-2006-03-01.json' with { type: 'json' };

/**
 * Which S3 operation a request is, derived from the official model (`src/model/s3-2006-03-01.json`):
 * each operation's method and request URI (`/{Bucket}/{Key+}?uploads`), plus the members of its
 * input that it requires in the query string or headers (UploadPart's `partNumber` and `uploadId`,
 * CopyObject's `x-amz-copy-source`). Many operations share a method and path; the one whose
 * conditions are all met and most numerous is the request's, as S3 tells them apart.
 */

interface ModelMember {
  shape: string;
  location?: string;
  locationName?: string;
}
interface ModelShape {
  members?: Record<string, ModelMember>;
  required?: string[];
}
interface ModelOperation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
}
const S3_MODEL = model as unknown as { operations: Record<string, ModelOperation>; shapes: Record<string, ModelShape> };

/** What a request addresses: the service (`/`), a bucket, or an object in a bucket. */
export type Resource = 'service' | 'bucket' | 'object';

export interface Route {
  operation: string;
  method: string;
  resource: Resource;
  /** Query parameters the URI names literally: `uploads` (present, any value) or `list-type=2`. */
  literalQuery: { name: string; value?: string }[];
  /** Query parameters and headers (lower-case) the input requires. */
  requiredQuery: string[];
  requiredHeaders: string[];
  /** The status of a success without an error, 200 unless the model says otherwise (204 for deletes). */
  successStatus: number;
}

function resourceOf(path: string): Resource | undefined {
  if (path === '/') return 'service';
  if (path === '/{Bucket}') return 'bucket';
  if (path === '/{Bucket}/{Key+}') return 'object';
  // Literal paths (WriteGetObjectResponse) are served from a host of their own, not a bucket's.
  return undefined;
}

function deriveRoutes(): Route[] {
  const routes: Route[] = [];
  for (const [name, operation] of Object.entries(S3_MODEL.operations)) {
    const [path, literal] = operation.http.requestUri.split('?', 2) as [string, string | undefined];
    const resource = resourceOf(path);
    if (!resource) continue;
    const literalQuery = (literal ? literal.split('&') : []).map((pair) => {
      const [key, value] = pair.split('=', 2) as [string, string | undefined];
      return { name: key, value };
    });
    const input = operation.input ? S3_MODEL.shapes[operation.input.shape] : undefined;
    const requiredQuery: string[] = [];
    const requiredHeaders: string[] = [];
    for (const member of input?.required ?? []) {
      const ref = input!.members![member];
      if (ref.location === 'querystring') requiredQuery.push(ref.locationName ?? member);
      else if (ref.location === 'header') requiredHeaders.push((ref.locationName ?? member).toLowerCase());
    }
    routes.push({ operation: name, method: operation.http.method, resource, literalQuery, requiredQuery, requiredHeaders, successStatus: operation.http.responseCode ?? 200 });
  }
  return routes;
}

export const ROUTES: readonly Route[] = deriveRoutes();

const weight = (route: Route) => route.literalQuery.length + route.requiredQuery.length + route.requiredHeaders.length;

function matches(route: Route, query: URLSearchParams, headers: Record<string, unknown>): boolean {
  for (const literal of route.literalQuery) {
    const value = query.get(literal.name);
    if (value === null || (literal.value !== undefined && value !== literal.value)) return false;
  }
  for (const name of route.requiredQuery) if (!query.has(name)) return false;
  for (const name of route.requiredHeaders) if (headers[name] === undefined) return false;
  return true;
}

/**
 * The operation of a request, preferring the most specific match and, between equals (ListBuckets
 * and ListDirectoryBuckets share `GET /`), one this endpoint serves. Undefined when no operation
 * takes this method on this resource (S3's MethodNotAllowed).
 */
export function findRoute(
  method: string,
  resource: Resource,
  query: URLSearchParams,
  headers: Record<string, unknown>,
  served: (operation: string) => boolean,
): Route | undefined {
  let best: Route | undefined;
  for (const route of ROUTES) {
    if (route.method !== method || route.resource !== resource || !matches(route, query, headers)) continue;
    if (!best || weight(route) > weight(best) || (weight(route) === weight(best) && served(route.operation) && !served(best.operation))) best = route;
  }
  return best;
}

/** Whether the model has an operation of this name (operation files are checked against it). */
export const hasOperation = (name: string) => Object.hasOwn(S3_MODEL.operations, name);
