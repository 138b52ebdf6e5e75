import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DECODE_TIMEOUT_MS, DecoderUnavailable, type DecodedImages, type ImageDecoder, type ImageRequest } from './decoder.js';
import type { VideoCodec } from './keyframes.js';
import type { FrameResult, FrameTask } from './npm-decoder-worker.js';

/**
 * The pure-npm decoder, for a machine without ffmpeg: tinyh264 (h264bsd in WASM) decodes H.264
 * Baseline key frames in worker threads, sharp encodes them (npm-decoder-worker.ts).
 * H.265, and H.264 Main or High (CABAC, B-frames, 8×8 transforms: not in h264bsd), are refused
 * frame by frame, so their images are MEDIA_ERROR.
 */

/**
 * Worker threads at most, each with its own tinyh264 instance: one per core, capped at two so
 * that GetImages cannot take every core of a larger machine from the rest of the server. The
 * first starts at the first GetImages, another when the ones running have work queued.
 */
export const NPM_DECODER_WORKERS = Math.max(1, Math.min(2, availableParallelism()));

interface Pending {
  resolve(result: FrameResult): void;
  timer: NodeJS.Timeout;
}

interface DecoderThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class NpmDecoder implements ImageDecoder {
  readonly name = 'npm';
  readonly description = 'tinyh264 (WASM, in worker threads) with sharp: H.264 Baseline only';
  private threads: DecoderThread[] = [];
  private nextId = 0;

  async decode(codec: VideoCodec, frames: Buffer[], request: ImageRequest): Promise<DecodedImages> {
    if (codec !== 'h264') return { images: frames.map(() => undefined), problem: 'H.265 needs ffmpeg: the npm decoder (tinyh264) takes H.264 Baseline only' };
    const results = await Promise.all(frames.map((frame) => this.run(frame, request)));
    const unavailable = results.find((r): r is Extract<FrameResult, { unavailable: string }> => 'unavailable' in r);
    if (unavailable) throw new DecoderUnavailable(unavailable.unavailable);
    const problem = results.find((r): r is Extract<FrameResult, { problem: string }> => 'problem' in r);
    return {
      images: results.map((r) => ('image' in r ? Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength) : undefined)),
      problem: problem?.problem,
    };
  }

  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** One frame on the thread with the least queued, starting another thread while there is room. */
  private run(frame: Buffer, request: ImageRequest): Promise<FrameResult> {
    let thread = this.threads.reduce<DecoderThread | undefined>((best, t) => (!best || t.pending.size < best.pending.size ? t : best), undefined);
    if (!thread || (thread.pending.size > 0 && this.threads.length < NPM_DECODER_WORKERS)) thread = this.start();
    const id = this.nextId++;
    const target = thread;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A frame stuck this long has hung its thread: end it, failing what it still holds.
        void target.worker.terminate();
      }, DECODE_TIMEOUT_MS);
      target.pending.set(id, { resolve, timer });
      if (target.pending.size === 1) target.worker.ref();
      target.worker.postMessage({ id, frame, request } satisfies FrameTask);
    });
  }

  private start(): DecoderThread {
    const worker = new Worker(new URL('./npm-decoder-worker.js', import.meta.url));
    const thread: DecoderThread = { worker, pending: new Map() };
    // An idle thread does not keep the process alive.
    worker.unref();
    worker.on('message', (result: FrameResult) => {
      const pending = thread.pending.get(result.id);
      if (!pending) return;
      clearTimeout(pending.timer);
      thread.pending.delete(result.id);
      if (thread.pending.size === 0) worker.unref();
      pending.resolve(result);
    });
    const fail = (problem: string) => {
      this.threads = this.threads.filter((t) => t !== thread);
      for (const [id, pending] of thread.pending) {
        clearTimeout(pending.timer);
        pending.resolve({ id, problem });
      }
      thread.pending.clear();
    };
    worker.on('error', (error) => fail(`the decoder thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`the decoder thread ended (exit code ${code})`));
    this.threads.push(thread);
    return thread;
  }
}
