import { generate } from 'selfsigned';

/** Lifetime of the certificate `--tls` generates at startup: a year, far beyond any process. */
const VALIDITY_MS = 365 * 24 * 3_600_000;

/**
 * A throwaway certificate for `--tls` without `--tls-cert` (KINESIS-SPEC §1.1): EC P-256, subject
 * and SANs localhost / 127.0.0.1 / ::1. It is self-signed, so clients connect with verification off
 * (`--no-verify-ssl`, `verify=False`, `rejectUnauthorized: false`) or trust the PEM that is logged.
 */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
