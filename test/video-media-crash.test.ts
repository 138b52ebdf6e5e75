import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { decodeEbml, producerStream, readMedia, testVideo } from './video-producer.js';

/**
 * `kill -9` during PutMedia (issue 16 Tests): every fragment acknowledged PERSISTED is there after
 * a restart on the same data directory, and nothing half-written is listed or served.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const childScript = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

async function startChild(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [childScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line).endpoint));
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before serving`)));
  });
  return { child, endpoint };
}

test('kill -9 during PutMedia: every PERSISTED fragment survives, nothing half-written is served', { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed' }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-video-crash-'));
  let running: ChildProcess | undefined;
  try {
    const first = await startChild(dataDir);
    running = first.child;
    const kvs = new KinesisVideoClient({ endpoint: first.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    await kvs.send(new CreateStreamCommand({ StreamName: 'crash', DataRetentionInHours: 1 }));
    kvs.destroy();
    const media = await readMedia(testVideo(30, 25));
    const pieces = producerStream(media);
    // Each fragment written in two halves, so that the kill can land inside one.
    const halves = pieces.flatMap((p) => [p.subarray(0, p.length >> 1), p.subarray(p.length >> 1)]);
    const persisted: string[] = [];
    await new Promise<void>((resolve) => {
      const url = new URL(`${first.endpoint}/putMedia`);
      const req = http.request({
        host: url.hostname, port: url.port, path: '/putMedia', method: 'POST',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
          'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': 'crash', 'x-amzn-fragment-timecode-type': 'RELATIVE',
          'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3), 'transfer-encoding': 'chunked',
        },
      }, (res) => {
        let pending = '';
        res.on('data', (d: Buffer) => {
          pending += d;
          let nl: number;
          while ((nl = pending.indexOf('\n')) !== -1) {
            const ack = JSON.parse(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
            if (ack.EventType === 'PERSISTED') persisted.push(ack.FragmentNumber);
            if (persisted.length === 8) first.child.kill('SIGKILL');
          }
        });
        res.on('error', () => resolve());
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      void (async () => {
        for (const half of halves) {
          if (req.destroyed) return;
          req.write(half);
          await new Promise((r) => setTimeout(r, 15));
        }
        req.end();
      })();
    });
    await new Promise((resolve) => (first.child.exitCode !== null || first.child.signalCode ? resolve(undefined) : first.child.once('exit', resolve)));
    assert.ok(persisted.length >= 8, `${persisted.length} PERSISTED before the kill`);

    const second = await startChild(dataDir);
    running = second.child;
    const archived = new KinesisVideoArchivedMediaClient({ endpoint: second.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const mediaClient = new KinesisVideoMediaClient({ endpoint: second.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'crash' }));
    const listed = Fragments!.map((f) => f.FragmentNumber!);
    for (const fn of persisted) assert.ok(listed.includes(fn), `PERSISTED fragment ${fn} is listed`);
    assert.ok(listed.length < pieces.length - 1, 'the kill came before the upload ended');
    const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'crash', StartSelector: { StartSelectorType: 'EARLIEST' } }));
    const parts: Buffer[] = [];
    for await (const chunk of out.Payload as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
    let clusters = 0;
    let blocks = 0;
    for (const [kind, tag] of await decodeEbml(Buffer.concat(parts))) {
      if (kind === 'start' && tag.name === 'Cluster') clusters++;
      if (kind === 'tag' && tag.name === 'SimpleBlock') blocks++;
    }
    assert.equal(clusters, listed.length);
    assert.equal(blocks, listed.length * 25, 'every served fragment is whole');
    archived.destroy();
    mediaClient.destroy();
  } finally {
    running?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
