import type { Credentials } from './auth.js';
import type { ServerRequest } from './http-exchange.js';
import { loadCredentialList, SignatureVerifier } from './sigv4.js';

/** Who a request comes from: streams, buckets and delivery streams are isolated per account and region. */
export interface Caller {
  account: string;
  region: string;
}

/** Shared by every service on the endpoint, so one `--credentials` list signs for all of them. */
export interface Authenticator {
  /**
   * Verifies the signature when credentials are configured; resolves to the caller. Without
   * signatures to verify the caller is known at once: no promise on every request's path.
   */
  authenticate(request: ServerRequest, body: Buffer, credentials: Credentials): Caller | Promise<Caller>;
}

export interface AuthenticatorOptions {
  /** `--credentials`: verify SigV4 against this list (a JSON array or a file holding one). */
  credentials?: string;
  /** The region of requests whose credential scope names none. */
  region: string;
  /** The account of access keys that are not 12 digits. */
  account: string;
}

const TWELVE_DIGITS = /^\d{12}$/;

/**
 * Signatures are verified only when credentials are configured (KINESIS-SPEC §1.7
 * recommendation); otherwise any key is accepted and a 12-digit access key id names the account.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const verifier = options.credentials ? new SignatureVerifier(loadCredentialList(options.credentials)) : undefined;
  return {
    authenticate(request, body, credentials) {
      if (verifier) {
        return verifier.verify(request, body, credentials).then((caller) => ({ account: caller.account, region: caller.region ?? options.region }));
      }
      const account = TWELVE_DIGITS.test(credentials.accessKeyId) ? credentials.accessKeyId : options.account;
      return { account, region: credentials.region ?? options.region };
    },
  };
}
