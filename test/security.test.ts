import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { startTestServer, type TestServer } from './helpers.js';

const ALICE = { accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret', accountId: '111111111111' };
const BOB = { accessKeyId: 'AKIABOB', secretAccessKey: 'bob-secret', accountId: '222222222222' };
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** SHA-256 for the presigner, over node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: Uint8Array | string) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return this.hash.digest();
  }
  reset() {}
}

function presigner(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return new SignatureV4({ service: 'kinesis', region: 'us-east-1', credentials, sha256: NodeSha256 as any });
}

/** A presigned POST: the signature in the query string, X-Amz-Target kept as a header. */
async function presignedCall(
  port: number,
  operation: string,
  body: unknown,
  options: { signingDate?: Date; expiresIn?: number; secret?: string; tamper?: boolean } = {},
) {
  const payload = JSON.stringify(body);
  const request = {
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: '/',
    query: {},
    headers: {
      host: `127.0.0.1:${port}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `Kinesis_20131202.${operation}`,
    },
    body: payload,
  };
  const signed = await presigner({ accessKeyId: ALICE.accessKeyId, secretAccessKey: options.secret ?? ALICE.secretAccessKey }).presign(request, {
    signingDate: options.signingDate,
    expiresIn: options.expiresIn ?? 300,
    unhoistableHeaders: new Set(['x-amz-target']),
  });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  // Tampering: a different, valid body under the same signature.
  const sent = options.tamper ? JSON.stringify({ ...(body as object), Limit: 1 }) : payload;
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: `/?${query}`, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Kinesis_20131202.${operation}` }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(sent);
  });
}

async function rejects(promise: Promise<unknown>, name: string, message: string | RegExp) {
  await assert.rejects(promise, (err: any) => {
    assert.equal(err.name, name);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('SigV4 verification with --credentials', () => {
  let server: TestServer;
  const clients: KinesisClient[] = [];
  const client = (options: { key?: typeof ALICE; secret?: string; sessionToken?: string; http1?: boolean; systemClockOffset?: number; accessKeyId?: string } = {}) => {
    const key = options.key ?? ALICE;
    const c = new KinesisClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: {
        accessKeyId: options.accessKeyId ?? key.accessKeyId,
        secretAccessKey: options.secret ?? key.secretAccessKey,
        sessionToken: options.sessionToken,
      },
      requestHandler: options.http1 ? new NodeHttpHandler() : undefined,
      systemClockOffset: options.systemClockOffset,
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer({ credentials: JSON.stringify([ALICE, BOB]) });
    await client().send(new CreateStreamCommand({ StreamName: 'alice-stream', ShardCount: 1 }));
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
  });

  it('accepts the right secret over HTTP/2 and HTTP/1.1, and the caller is the credential account', async () => {
    for (const http1 of [false, true]) {
      const out = await client({ http1 }).send(new DescribeStreamSummaryCommand({ StreamName: 'alice-stream' }));
      assert.equal(out.StreamDescriptionSummary?.StreamARN, 'arn:aws:kinesis:us-east-1:111111111111:stream/alice-stream');
    }
  });

  it('accepts session tokens of a known key', async () => {
    const out = await client({ sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' }).send(new ListStreamsCommand({}));
    assert.deepEqual(out.StreamNames, ['alice-stream']);
  });

  it('rejects a wrong secret', async () => {
    for (const http1 of [false, true]) {
      await rejects(client({ secret: 'wrong', http1 }).send(new ListStreamsCommand({})), 'InvalidSignatureException', MISMATCH);
    }
  });

  it('rejects an unknown access key', async () => {
    await rejects(
      client({ accessKeyId: 'AKIAUNKNOWN' }).send(new ListStreamsCommand({})),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  it('rejects clocks more than 5 minutes off, with AWS texts', async () => {
    const t = '\\d{8}T\\d{6}Z';
    await rejects(
      client({ systemClockOffset: -10 * 60_000 }).send(new ListStreamsCommand({})),
      'InvalidSignatureException',
      new RegExp(`^Signature expired: ${t} is now earlier than ${t} \\(${t} - 5 min\\.\\)$`),
    );
    await rejects(
      client({ systemClockOffset: 10 * 60_000 }).send(new ListStreamsCommand({})),
      'InvalidSignatureException',
      new RegExp(`^Signature not yet current: ${t} is still later than ${t} \\(${t} \\+ 5 min\\.\\)$`),
    );
    // Inside the window is fine.
    await client({ systemClockOffset: -4 * 60_000 }).send(new ListStreamsCommand({}));
  });

  it('keeps accounts apart: by name another account has no such stream, by ARN it is denied', async () => {
    const bob = client({ key: BOB });
    await rejects(
      bob.send(new DescribeStreamSummaryCommand({ StreamName: 'alice-stream' })),
      'ResourceNotFoundException',
      'Stream alice-stream under account 222222222222 not found.',
    );
    const arn = 'arn:aws:kinesis:us-east-1:111111111111:stream/alice-stream';
    const denied = (action: string, resource = arn) =>
      `User: arn:aws:iam::222222222222:root is not authorized to perform: kinesis:${action} on resource: ${resource} because no resource-based policy allows the kinesis:${action} action`;
    await rejects(bob.send(new DescribeStreamSummaryCommand({ StreamARN: arn })), 'AccessDeniedException', denied('DescribeStreamSummary'));
    // A stream that does not exist in the other account is denied the same way (invisible).
    const ghost = 'arn:aws:kinesis:us-east-1:111111111111:stream/ghost';
    await rejects(bob.send(new DescribeStreamSummaryCommand({ StreamARN: ghost })), 'AccessDeniedException', denied('DescribeStreamSummary', ghost));

    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: ['kinesis:DescribeStreamSummary', 'kinesis:DescribeStream'], Resource: arn },
        { Effect: 'Deny', Principal: { AWS: '222222222222' }, Action: 'kinesis:DescribeStream', Resource: arn },
      ],
    };
    await client().send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(policy) }));
    const out = await bob.send(new DescribeStreamSummaryCommand({ StreamARN: arn }));
    assert.equal(out.StreamDescriptionSummary?.StreamName, 'alice-stream');
    // Deny wins over Allow; actions not granted stay denied.
    await rejects(bob.send(new DescribeStreamCommand({ StreamARN: arn })), 'AccessDeniedException', denied('DescribeStream'));
    await rejects(
      bob.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(policy) })),
      'AccessDeniedException',
      denied('PutResourcePolicy'),
    );
  });

  it('verifies presigned requests (query-string signatures)', async () => {
    const ok = await presignedCall(server.port, 'ListStreams', {});
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.StreamNames, ['alice-stream']);

    const wrong = await presignedCall(server.port, 'ListStreams', {}, { secret: 'nope' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json, { __type: 'InvalidSignatureException', message: MISMATCH });

    const tampered = await presignedCall(server.port, 'ListStreams', { Limit: 5 }, { tamper: true });
    assert.deepEqual(tampered.json, { __type: 'InvalidSignatureException', message: MISMATCH });

    const expired = await presignedCall(server.port, 'ListStreams', {}, { signingDate: new Date(Date.now() - 3 * 60_000), expiresIn: 60 });
    assert.equal(expired.json.__type, 'InvalidSignatureException');
    assert.match(expired.json.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 1 min\.\)$/);
  });

  it('still reports missing and malformed authentication with AWS texts', async () => {
    const res = await new Promise<any>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.port, method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' } },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c) => chunks.push(c));
          r.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    assert.deepEqual(res, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });
});

describe('TLS', () => {
  it('--tls alone serves a self-signed certificate for localhost and 127.0.0.1 on the same port', async () => {
    const server = await startTestServer({ tls: true });
    try {
      const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
          assert.equal(socket.alpnProtocol, 'h2');
          resolve(socket.getPeerCertificate());
          socket.end();
        });
        socket.on('error', reject);
      });
      const cert = new X509Certificate(peer.raw);
      assert.equal(cert.checkHost('localhost'), 'localhost');
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
      // Self-signed: verification fails unless turned off.
      await assert.rejects(
        new Promise((resolve, reject) => {
          const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost' }, () => resolve(socket));
          socket.on('error', reject);
        }),
        (err: any) => /self[- ]signed/i.test(err.code + err.message),
      );

      const kinesis = new KinesisClient({
        endpoint: `https://127.0.0.1:${server.port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
        requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ rejectUnauthorized: false }) }),
        maxAttempts: 1,
      });
      try {
        await kinesis.send(new CreateStreamCommand({ StreamName: 'over-tls', ShardCount: 1 }));
        assert.deepEqual((await kinesis.send(new ListStreamsCommand({}))).StreamNames, ['over-tls']);
      } finally {
        kinesis.destroy();
      }
      // Cleartext keeps working on the same port.
      assert.deepEqual((await server.client().send(new ListStreamsCommand({}))).StreamNames, ['over-tls']);
    } finally {
      await server.stop();
    }
  });
});
