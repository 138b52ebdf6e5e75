import type { Logger } from 'pino';
import type { ImageDecoder } from './decoder.js';
import { FfmpegDecoder, locateFfmpeg } from './ffmpeg-decoder.js';
import { NpmDecoder } from './npm-decoder.js';

/** `--images-decoder`: ffmpeg when it is there (auto), or one forced. */
export const IMAGE_DECODER_MODES = ['auto', 'ffmpeg', 'npm'] as const;
export type ImageDecoderMode = (typeof IMAGE_DECODER_MODES)[number];

/**
 * The decoder GetImages uses on this node, chosen once at start-up and shown in the banner: ffmpeg (`--ffmpeg`
 * or PATH) when there is one, else the npm decoder (H.264 Baseline only). Forced to ffmpeg with
 * none found, there is no decoder and every image is MEDIA_ERROR.
 */
export function chooseImageDecoder(mode: ImageDecoderMode, configuredFfmpeg: string | undefined, log: Logger): ImageDecoder | undefined {
  const ffmpeg = mode === 'npm' ? undefined : locateFfmpeg(configuredFfmpeg);
  const decoder = ffmpeg ? new FfmpegDecoder(ffmpeg) : mode === 'ffmpeg' ? undefined : new NpmDecoder();
  // Info-level start-up is the 'listening' line alone: the choice is in the banner (banner.ts) and here at debug.
  if (decoder) log.debug({ imagesDecoder: decoder.name }, `GetImages decodes with ${decoder.description}`);
  else log.warn({ ffmpeg: configuredFfmpeg ?? 'PATH' }, 'no ffmpeg and --images-decoder ffmpeg: GetImages answers MEDIA_ERROR for every image');
  return decoder;
}
