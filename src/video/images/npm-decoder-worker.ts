import { parentPort } from 'node:worker_threads';
import type { TinyH264Module } from 'tinyh264/es/TinyH264.js';
import type { ImageRequest } from './decoder.js';
import { NAL_SPS, nalUnits, parseSps } from './h264-sps.js';
import { encodeImage, type YuvPicture } from './yuv-image.js';

/**
 * The npm decoder's worker thread (npm-decoder.ts): tinyh264, h264bsd compiled to WASM, decodes
 * one key frame at a time to YUV 4:2:0, then yuv-image.ts encodes it (sharp, on libuv's pool). Off the main thread, so that
 * the server keeps serving while frames decode (a 640×360 frame takes tens of milliseconds).
 */

export interface FrameTask {
  id: number;
  frame: Uint8Array;
  request: ImageRequest;
}

export type FrameResult = { id: number; image: Uint8Array } | { id: number; problem: string } | { id: number; unavailable: string };

/** h264bsdDecode's answer when a picture is ready (h264bsd_decoder.h H264BSD_PIC_RDY). */
const PIC_RDY = 1;
/** Names of the profiles a refusal mentions (ITU-T H.264 Annex A). */
const PROFILE_NAMES: Record<number, string> = { 66: 'Baseline', 77: 'Main', 88: 'Extended', 100: 'High', 110: 'High 10', 122: 'High 4:2:2', 244: 'High 4:4:4' };

let loading: Promise<TinyH264Module> | undefined;

function load(): Promise<TinyH264Module> {
  // The package's only build is Emscripten's web-worker flavour: it reads self.location.href once.
  const global = globalThis as { self?: unknown };
  global.self ??= { location: { href: '' } };
  return (loading ??= import('tinyh264/es/TinyH264.js').then(({ default: factory }) => factory()));
}

/** One key frame (Annex-B, parameter sets first) to its picture, or why not. */
function decodeFrame(h264: TinyH264Module, frame: Uint8Array): { picture: YuvPicture } | { problem: string } {
  const spsNal = nalUnits(frame).find((nal) => (nal[0] & 0x1f) === NAL_SPS);
  if (!spsNal) return { problem: 'the key frame has no sequence parameter set' };
  let sps;
  try {
    sps = parseSps(spsNal);
  } catch (error) {
    return { problem: `the sequence parameter set cannot be read: ${(error as Error).message}` };
  }
  if (!sps.baseline) {
    const name = PROFILE_NAMES[sps.profileIdc] ?? `profile_idc ${sps.profileIdc}`;
    return { problem: `H.264 ${name} needs ffmpeg: the npm decoder (tinyh264) takes Baseline only` };
  }
  const storage = h264._h264bsdAlloc();
  // Four bytes each for the picture pointer, width and height; then the frame (h264bsd rewrites it in place).
  const out = h264._malloc(12 + frame.length);
  let trapped = false;
  try {
    h264._h264bsdInit(storage, 0);
    h264.HEAPU8.set(frame, out + 12);
    const code = h264._h264bsdDecode(storage, out + 12, frame.length, out, out + 4, out + 8);
    if (code !== PIC_RDY) return { problem: `tinyh264 could not decode the key frame (h264bsd code ${code})` };
    const codedWidth = h264.getValue(out + 4, 'i32');
    const codedHeight = h264.getValue(out + 8, 'i32');
    const picture = h264.getValue(out, 'i8*');
    if (sps.cropLeft + sps.width > codedWidth || sps.cropTop + sps.height > codedHeight) {
      return { problem: `the SPS crop window does not fit the ${codedWidth}×${codedHeight} picture` };
    }
    const data = h264.HEAPU8.slice(picture, picture + (codedWidth * codedHeight * 3) / 2);
    return { picture: { data, codedWidth, codedHeight, fullRange: sps.fullRange, cropLeft: sps.cropLeft, cropTop: sps.cropTop, width: sps.width, height: sps.height } };
  } catch (error) {
    // A WASM trap (corrupt data driving h264bsd out of bounds) may leave its heap broken: the next frame gets a fresh module.
    if (error instanceof WebAssembly.RuntimeError) {
      trapped = true;
      loading = undefined;
      return { problem: `tinyh264 failed: ${error.message}` };
    }
    throw error;
  } finally {
    if (!trapped) {
      h264._h264bsdShutdown(storage);
      h264._h264bsdFree(storage);
      h264._free(out);
    }
  }
}

parentPort!.on('message', (task: FrameTask) => {
  load().then(
    async (h264) => {
      let result: FrameResult;
      try {
        const decoded = decodeFrame(h264, task.frame);
        result = 'picture' in decoded ? { id: task.id, image: await encodeImage(decoded.picture, task.request) } : { id: task.id, problem: decoded.problem };
      } catch (error) {
        result = { id: task.id, problem: `the image could not be made: ${(error as Error).message}` };
      }
      parentPort!.postMessage(result);
    },
    (error: Error) => parentPort!.postMessage({ id: task.id, unavailable: `tinyh264 could not be loaded: ${error.message}` } satisfies FrameResult),
  );
});
