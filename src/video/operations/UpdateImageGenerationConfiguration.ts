import type { VideoRequestContext } from '../context.js';
import { JPEG_QUALITY_RANGE, MIN_IMAGE_SAMPLING_INTERVAL_MS } from '../domain/limits.js';
import { requireActive, requireRetention } from '../domain/stream-changes.js';
import { destinationRegionMismatch, jpegQualityInvalid, samplingIntervalTooSmall } from '../errors.js';

interface ImageGenerationConfiguration {
  Status: 'ENABLED' | 'DISABLED';
  ImageSelectorType: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP';
  DestinationConfig: { Uri: string; DestinationRegion: string };
  SamplingInterval: number;
  Format: 'JPEG' | 'PNG';
  FormatConfig?: Record<string, string>;
  WidthPixels?: number;
  HeightPixels?: number;
}

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ImageGenerationConfiguration?: ImageGenerationConfiguration;
}

/**
 * §2.3: stored and echoed by DescribeImageGenerationConfiguration; none (or null) deletes it.
 * Millrace writes no images to S3 from it (README): GetImages is the way to images here.
 */
export default async function updateImageGenerationConfiguration(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const config = input.ImageGenerationConfiguration;
  if (config) check(config, region);
  await video.streams.update(account, region, input, (stream) => {
    requireActive(stream);
    if (config) requireRetention(stream);
    return { ...stream, imageGeneration: config as Record<string, unknown> | undefined };
  });
  return {};
}

function check(config: ImageGenerationConfiguration, region: string): void {
  if (config.SamplingInterval < MIN_IMAGE_SAMPLING_INTERVAL_MS) throw samplingIntervalTooSmall(config.SamplingInterval, MIN_IMAGE_SAMPLING_INTERVAL_MS);
  if (config.DestinationConfig.DestinationRegion !== region) throw destinationRegionMismatch(config.DestinationConfig.DestinationRegion, region);
  const quality = config.FormatConfig?.JPEGQuality;
  if (quality !== undefined) {
    const value = Number(quality);
    if (!/^\d+$/.test(quality) || value < JPEG_QUALITY_RANGE[0] || value > JPEG_QUALITY_RANGE[1]) throw jpegQualityInvalid(quality);
  }
}
