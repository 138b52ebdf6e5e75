/**
 * Hash routing: every view is a URL such as `#/streams/orders/data?shard=shardId-000000000000`, so
 * views can be bookmarked, shared and reloaded. The account and region travel in the same query.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments after `#/`, decoded. */
  parts: string[];
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

/** The account/region of the view being shown, carried into every link. */
export function scopeParams(): URLSearchParams {
  const params = currentRoute().params;
  const scope = new URLSearchParams();
  for (const key of ['account', 'region']) {
    const value = params.get(key);
    if (value) scope.set(key, value);
  }
  return scope;
}

/** `#/a/b?x=1`, keeping the current account and region unless `params` says otherwise. */
export function href(parts: string[], params: Record<string, string | undefined> = {}): string {
  const query = scopeParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') query.delete(key);
    else query.set(key, value);
  }
  const text = query.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`;
}

export function navigate(parts: string[], params: Record<string, string | undefined> = {}, replace = false): void {
  const target = href(parts, params);
  if (replace) history.replaceState(null, '', target);
  else location.hash = target;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
