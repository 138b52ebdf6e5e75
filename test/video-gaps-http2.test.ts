import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { startTestServer, type TestServer } from './helpers.js';
import { fragmentsIn, pieces, putMediaHttp2, readFragments, syntheticMedia } from './video-gaps-helpers.js';

/**
 * PutMedia and GetMedia over HTTP/2 (issue 16 Deliver 2), cleartext (prior knowledge) and TLS on
 * the same port: acks arrive on the response while the upload still streams, and GetMedia through
 * the JS SDK's HTTP/2 handler and a raw TLS HTTP/2 stream returns what was put.
 */

let server: TestServer;
let kvs: KinesisVideoClient;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

before(async () => {
  server = await startTestServer({ tls: true });
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});

after(async () => {
  kvs.destroy();
  await server.stop();
});

for (const mode of ['h2c', 'tls'] as const) {
  test(`PutMedia over HTTP/2 (${mode}): acks while the upload streams; GetMedia reads the fragments back`, async () => {
    const name = `h2-${mode}`;
    await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
    const base = mode === 'tls' ? server.secureEndpoint! : server.endpoint;
    const session = http2.connect(base, mode === 'tls' ? { ca: readFileSync(server.certificateFile!) } : {});
    try {
      const media = syntheticMedia(4);
      const put = await putMediaHttp2(session, name, pieces(media), 150);
      assert.equal(put.status, 200);
      const events = put.acks.map((a) => `${a.EventType}:${a.FragmentTimecode}`);
      assert.deepEqual(events.filter((e) => e.startsWith('PERSISTED')), ['PERSISTED:0', 'PERSISTED:400', 'PERSISTED:800', 'PERSISTED:1200']);
      // The first fragment's acks came while later pieces were still to be written (5 pieces: header + 4 fragments).
      const firstPersisted = put.acks.find((a) => a.EventType === 'PERSISTED')!;
      assert.ok(firstPersisted.afterPieces < 5, `first PERSISTED after ${firstPersisted.afterPieces} pieces`);
      const numbers = put.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber);

      // GetMedia as a raw HTTP/2 stream on the same session.
      const req = session.request({
        ':method': 'POST', ':path': '/getMedia', 'content-type': 'application/json',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
        'x-amz-date': '20240101T000000Z',
      });
      req.end(JSON.stringify({ StreamName: name, StartSelector: { StartSelectorType: 'EARLIEST' } }));
      const output = await readFragments(req as AsyncIterable<Uint8Array>, 4);
      req.close();
      const fragments = await fragmentsIn(output);
      assert.deepEqual(fragments.map((f) => f.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER), numbers);
      assert.deepEqual(fragments.map((f) => f.blocks), [10, 10, 10, 10]);

      if (mode === 'h2c') {
        // The JS SDK's HTTP/2 handler.
        const client = new KinesisVideoMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: new NodeHttp2Handler() });
        const out = await client.send(new GetMediaCommand({ StreamName: name, StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: numbers[2] } }));
        const read = await fragmentsIn(await readFragments(out.Payload as AsyncIterable<Uint8Array>, 2));
        assert.deepEqual(read.map((f) => f.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER), numbers.slice(2));
        client.destroy();
      }
    } finally {
      session.close();
    }
  });
}
