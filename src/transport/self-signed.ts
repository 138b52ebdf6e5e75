import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';

/** Lifetime of the certificate `--tls` generates at startup: a year, far beyond any process. */
const VALIDITY_MS = 365 * 24 * 3_600_000;

/** A certificate kept on disk is generated anew when it has less than this left to live. */
const RENEW_BEFORE_MS = 30 * 24 * 3_600_000;
/** The names clients reach a local server by: what the SANs must cover. */
const LOCAL_NAMES = { hosts: ['localhost'], ips: ['127.0.0.1', '::1'] };

export interface CertificateFiles {
  cert: string;
  key: string;
  /** The PEM certificate clients trust (AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, --ca-bundle). */
  certFile: string;
}

/**
 * The certificate `--tls` serves without `--tls-cert`, kept in `dir` as `localhost.pem` (the
 * certificate, for clients to trust) and `localhost-key.pem`, so that clients that trust it keep
 * trusting it across restarts. A pair that is missing, mismatched, near its end or without the
 * local names is generated anew.
 */
export async function selfSignedCertificateFiles(dir: string): Promise<CertificateFiles> {
  const certFile = resolve(dir, 'localhost.pem');
  const keyFile = resolve(dir, 'localhost-key.pem');
  const kept = readUsablePair(certFile, keyFile);
  if (kept) return { ...kept, certFile };
  const fresh = await selfSignedCertificate();
  mkdirSync(dir, { recursive: true });
  // Each file appears whole (rename), the key first, so a certificate on disk always has its key.
  const stage = (file: string, text: string, mode: number) => {
    const staged = `${file}.${process.pid}.tmp`;
    writeFileSync(staged, text, { mode });
    renameSync(staged, file);
  };
  stage(keyFile, fresh.key, 0o600);
  stage(certFile, fresh.cert, 0o644);
  return { ...fresh, certFile };
}

function readUsablePair(certFile: string, keyFile: string): { cert: string; key: string } | undefined {
  try {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    if (!LOCAL_NAMES.hosts.every((host) => x509.checkHost(host)) || !LOCAL_NAMES.ips.every((ip) => x509.checkIP(ip))) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

/**
 * A certificate for `--tls` without `--tls-cert` (KINESIS-SPEC §1.1): EC P-256, subject and SANs
 * localhost / 127.0.0.1 / ::1. It is self-signed: clients verify it by trusting its file
 * (AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS), as the start banner says.
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
