/**
 * `--ice-servers`: the STUN/TURN servers GetIceServerConfig hands out (issue 17 §6). None by
 * default: peers on one network connect directly. Either a JSON IceServerList as the API returns
 * it, or a comma list of URIs where `turn:USER:PASS@host:port` carries its credentials.
 */

export interface IceServer {
  Uris: string[];
  Username?: string;
  Password?: string;
  Ttl?: number;
}

/** TTL answered for credentials given on the command line (model: 30..86400 s); AWS's TURN credentials last 300 s. */
export const CONFIGURED_CREDENTIAL_TTL_SECONDS = 300;

export function parseIceServers(value: string | undefined): IceServer[] {
  const text = value?.trim();
  if (!text) return [];
  if (text.startsWith('[')) {
    const list = JSON.parse(text) as IceServer[];
    if (!Array.isArray(list) || list.some((s) => !Array.isArray(s?.Uris) || s.Uris.some((u) => typeof u !== 'string'))) {
      throw new Error('--ice-servers: a JSON list of {"Uris":[...],"Username","Password","Ttl"} was expected');
    }
    return list;
  }
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((uri) => {
    // turn:user:pass@host:port → the URI without credentials, and the credentials.
    const match = /^(turns?):([^:@]+):([^@]+)@(.+)$/.exec(uri);
    if (match) return { Uris: [`${match[1]}:${match[4]}`], Username: match[2], Password: match[3], Ttl: CONFIGURED_CREDENTIAL_TTL_SECONDS };
    if (!/^(stuns?|turns?):/.test(uri)) throw new Error(`--ice-servers: ${uri} is not a stun:, stuns:, turn: or turns: URI`);
    return { Uris: [uri] };
  });
}
