import http from 'node:http';
import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';
import { decodeEbml, producerStream, type Media } from './video-producer.js';

/**
 * Shared by the video-gaps tests: synthetic media (random frame payloads under an H.264 track, as
 * the producer SDK frames them: no ffmpeg needed), PutMedia over HTTP/1.1 chunked and HTTP/2 with
 * the acks read while the upload still streams, and GetMedia payloads read up to N fragments.
 */

export interface AckLine {
  EventType: string;
  FragmentTimecode?: number;
  FragmentNumber?: string;
  ErrorId?: number;
  ErrorCode?: string;
  /** How many body pieces had been written when the ack arrived. */
  afterPieces: number;
}

/** `fragments` fragments of `framesPerFragment` frames, 40 ms apart, a keyframe first in each. */
export function syntheticMedia(fragments: number, framesPerFragment = 10, frameBytes = 4000): Media {
  const frames = [];
  for (let n = 0; n < fragments * framesPerFragment; n++) {
    frames.push({ track: 1, ms: n * 40, keyframe: n % framesPerFragment === 0, data: randomBytes(frameBytes) });
  }
  return { tracks: [{ number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: randomBytes(30), width: 320, height: 240 }], frames };
}

export const putMediaHeaders = (stream: string, startSeconds = Date.now() / 1000): Record<string, string> => ({
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
  'x-amz-date': '20240101T000000Z',
  'x-amzn-stream-name': stream,
  'x-amzn-fragment-timecode-type': 'RELATIVE',
  'x-amzn-producer-start-timestamp': startSeconds.toFixed(3),
  'x-amzn-fragment-acknowledgment-required': '1',
});

/** Splits ack lines as they arrive. */
function ackReader(acks: AckLine[], written: () => number) {
  let pending = '';
  return (d: Buffer | string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line) acks.push({ ...JSON.parse(line), afterPieces: written() });
    }
  };
}

/** PutMedia over HTTP/1.1 chunked: the producer stream's pieces written `gapMs` apart. */
export function putMediaHttp1(endpoint: string, stream: string, pieces: Buffer[], gapMs = 20): Promise<{ status: number; acks: AckLine[]; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${endpoint}/putMedia`);
    let written = 0;
    const acks: AckLine[] = [];
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...putMediaHeaders(stream), 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      const read = ackReader(acks, () => written);
      res.on('data', (d: Buffer) => {
        body += d;
        if (res.statusCode === 200) read(d);
      });
      res.on('end', () => resolve({ status: res.statusCode!, acks, body }));
      res.on('error', reject);
    });
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    void writePieces(req, pieces, gapMs, () => written++);
  });
}

/** PutMedia as one HTTP/2 stream of `session` (h2c or TLS): no chunked encoding, DATA frames as written. */
export function putMediaHttp2(session: http2.ClientHttp2Session, stream: string, pieces: Buffer[], gapMs = 20): Promise<{ status: number; acks: AckLine[] }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const acks: AckLine[] = [];
    const req = session.request({ ':method': 'POST', ':path': '/putMedia', ...putMediaHeaders(stream) });
    let status = 0;
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', ackReader(acks, () => written));
    req.on('end', () => resolve({ status, acks }));
    req.on('error', reject);
    void writePieces(req, pieces, gapMs, () => written++);
  });
}

async function writePieces(req: NodeJS.WritableStream & { destroyed: boolean }, pieces: Buffer[], gapMs: number, counted: () => void): Promise<void> {
  for (const piece of pieces) {
    if (req.destroyed) return;
    req.write(piece);
    counted();
    await new Promise((r) => setTimeout(r, gapMs));
  }
  req.end();
}

export const pieces = (media: Media, timecodeBase = 0) => producerStream(media, { timecodeBase });

const CONTINUATION = Buffer.from('AWS_KINESISVIDEO_CONTINUATION_TOKEN');

/** Reads a GetMedia payload until `fragments` fragments have arrived (their trailing Tags), then stops reading. */
export async function readFragments(payload: AsyncIterable<Uint8Array>, fragments: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let seen = 0;
  for await (const chunk of payload) {
    const piece = Buffer.from(chunk);
    parts.push(piece);
    // A tag name is never split in a way that matters here: count over the joined tail.
    seen = countOf(Buffer.concat(parts), CONTINUATION);
    if (seen >= fragments) break;
  }
  return Buffer.concat(parts);
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Per fragment of a GetMedia output: its tags and its number of SimpleBlocks (decoded by the `ebml` package). */
export async function fragmentsIn(output: Buffer): Promise<Array<{ tags: Record<string, string>; blocks: number }>> {
  const out: Array<{ tags: Record<string, string>; blocks: number }> = [];
  let tagName = '';
  for (const [kind, tag] of await decodeEbml(output)) {
    if (kind === 'start' && tag.name === 'EBML') out.push({ tags: {}, blocks: 0 });
    if (kind === 'tag' && tag.name === 'TagName') tagName = String(tag.value);
    if (kind === 'tag' && tag.name === 'TagString') out[out.length - 1].tags[tagName] = String(tag.value);
    if (kind === 'tag' && tag.name === 'SimpleBlock') out[out.length - 1].blocks++;
  }
  return out;
}
