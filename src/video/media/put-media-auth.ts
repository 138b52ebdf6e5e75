import type { Credentials } from '../../protocol/auth.js';
import type { Caller } from '../../protocol/authenticator.js';
import type { ServerRequest } from '../../protocol/http-exchange.js';
import { loadCredentialList, SignatureVerifier } from '../../protocol/sigv4.js';

/**
 * PutMedia's payload-hash rule (VIDEO-SPEC §3.1): the streamed body is never hashed. When
 * `x-amz-content-sha256` is sent (Java v1's STREAMING-AWS4-HMAC-SHA256-PAYLOAD, UNSIGNED-PAYLOAD)
 * its value is the hash, verbatim; otherwise the SHA-256 of the empty string (curl, producer-c).
 */
export const EMPTY_PAYLOAD_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function putMediaAuthenticator(credentialList: string, defaultRegion: string): (req: ServerRequest, credentials: Credentials) => Promise<Caller> {
  const verifier = new SignatureVerifier(loadCredentialList(credentialList));
  return async (req, credentials) => {
    const declared = req.headers['x-amz-content-sha256'];
    const hash = (Array.isArray(declared) ? declared[0] : declared) ?? EMPTY_PAYLOAD_HASH;
    const caller = await verifier.verify(req, Buffer.alloc(0), credentials, hash);
    return { account: caller.account, region: caller.region ?? defaultRegion };
  };
}
