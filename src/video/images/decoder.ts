import type { VideoCodec } from './keyframes.js';

/**
 * What GetImages asks of a decoder (VIDEO-SPEC §5.6): key frames, each one self-contained Annex-B
 * access unit (parameter sets first), to one JPEG or PNG each. Two implementations sit behind it,
 * chosen once at start-up (choose-decoder.ts): Debian's ffmpeg (ffmpeg-decoder.ts: H.264 of every
 * profile and H.265) and a pure-npm one (npm-decoder.ts: tinyh264 WASM, H.264 Baseline only).
 */

export type ImageFormat = 'JPEG' | 'PNG';

export interface ImageRequest {
  format: ImageFormat;
  /** 1..100 (FormatConfig JPEGQuality). */
  jpegQuality: number;
  width?: number;
  height?: number;
}

/** §5.6: JPEGQuality when FormatConfig names none. */
export const DEFAULT_JPEG_QUALITY = 80;
/** A batch that takes longer than this is given up (its images become MEDIA_ERROR). */
export const DECODE_TIMEOUT_MS = 30_000;

export interface DecodedImages {
  /** One entry per frame, in order: the image, or undefined where that frame could not be made. */
  images: Array<Buffer | undefined>;
  /** Why some frame failed, for the log (the API only says MEDIA_ERROR). */
  problem?: string;
}

export interface ImageDecoder {
  readonly name: 'ffmpeg' | 'npm';
  /** What it is and what it decodes, for the start-up log. */
  readonly description: string;
  decode(codec: VideoCodec, frames: Buffer[], request: ImageRequest): Promise<DecodedImages>;
  /** Stops what it runs (worker threads); later calls start it again. */
  close(): Promise<void>;
}

/** The decoder cannot run at all (ffmpeg missing, the WASM module failing to load). */
export class DecoderUnavailable extends Error {}

/**
 * The output size (§5.6): both sizes stretch; one keeps the aspect ratio; none keeps the
 * picture's own size. ffmpeg's `scale=W:-1` does the same rounding.
 */
export function outputSize(width: number, height: number, request: Pick<ImageRequest, 'width' | 'height'>): { width: number; height: number } {
  if (request.width !== undefined && request.height !== undefined) return { width: request.width, height: request.height };
  if (request.width !== undefined) return { width: request.width, height: Math.max(1, Math.round((request.width * height) / width)) };
  if (request.height !== undefined) return { width: Math.max(1, Math.round((request.height * width) / height)), height: request.height };
  return { width, height };
}
