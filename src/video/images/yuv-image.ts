import sharp from 'sharp';
import { outputSize, type ImageRequest } from './decoder.js';

/**
 * A decoded YUV 4:2:0 picture to a JPEG or PNG (the npm decoder's half of VIDEO-SPEC §5.6): the
 * cropping window cut out, scaled bilinearly to the requested size and converted to RGB with the
 * BT.601 matrix of the stream's range (limited unless the VUI says full: what x264 and cameras'
 * H.264 Baseline use), then encoded by sharp (libjpeg-turbo, libspng).
 */

export interface YuvPicture {
  /** Planar I420: Y (stride codedWidth), then U and V (stride codedWidth / 2). */
  data: Uint8Array;
  codedWidth: number;
  codedHeight: number;
  /** Samples span 0..255 (VUI video_full_range_flag), not the usual 16..235 / 16..240. */
  fullRange: boolean;
  /** The visible window in luma samples. */
  cropLeft: number;
  cropTop: number;
  width: number;
  height: number;
}

/** Source positions and weights of each output column or row, for a plane scaled from `from` samples at `offset` onto `to`. */
function taps(to: number, from: number, offset: number, limit: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(to);
  const weight = new Float32Array(to);
  const ratio = from / to;
  const last = Math.ceil(from) - 1;
  for (let d = 0; d < to; d++) {
    // Sample centres line up (ffmpeg's scale does the same): the centre of output d maps to ratio·(d + ½) − ½.
    const s = Math.min(Math.max(ratio * (d + 0.5) - 0.5, 0), last);
    const i = Math.min(Math.floor(s), Math.max(last - 1, 0));
    index[d] = Math.min(offset + i, limit - 1);
    weight[d] = last === 0 ? 0 : s - i;
  }
  return { index, weight };
}

/** A plane (stride `stride`) sampled bilinearly at the given taps; `nextRow`/`nextCol` are 0 at the picture's edge. */
function sampleRow(plane: Uint8Array, stride: number, row: number, rowWeight: number, nextRow: number, cols: { index: Int32Array; weight: Float32Array }, out: Float32Array, limit: number): void {
  const top = row * stride;
  const bottom = top + nextRow * stride;
  for (let x = 0; x < out.length; x++) {
    const c = cols.index[x];
    const c1 = c + 1 < limit ? c + 1 : c;
    const w = cols.weight[x];
    const upper = plane[top + c] + (plane[top + c1] - plane[top + c]) * w;
    const lower = plane[bottom + c] + (plane[bottom + c1] - plane[bottom + c]) * w;
    out[x] = upper + (lower - upper) * rowWeight;
  }
}

/** BT.601 YCbCr → RGB coefficients: limited range, and full range (JFIF's). */
const LIMITED_RANGE_601 = { luma: 1.164383, offset: 16, rv: 1.596027, gu: 0.391762, gv: 0.812968, bu: 2.017232 };
const FULL_RANGE_601 = { luma: 1, offset: 0, rv: 1.402, gu: 0.344136, gv: 0.714136, bu: 1.772 };

/** RGB (3 bytes a pixel, or 4 with alpha 255 when `channels` is 4) of the picture at the requested size. */
export function toRgb(picture: YuvPicture, request: Pick<ImageRequest, 'width' | 'height'>, channels: 3 | 4): { width: number; height: number; data: Uint8Array } {
  const { width, height } = outputSize(picture.width, picture.height, request);
  const { codedWidth, codedHeight } = picture;
  const chromaStride = codedWidth >> 1;
  const chromaHeight = codedHeight >> 1;
  const yPlane = picture.data.subarray(0, codedWidth * codedHeight);
  const uPlane = picture.data.subarray(codedWidth * codedHeight, codedWidth * codedHeight + chromaStride * chromaHeight);
  const vPlane = picture.data.subarray(codedWidth * codedHeight + chromaStride * chromaHeight);
  const lumaCols = taps(width, picture.width, picture.cropLeft, codedWidth);
  const lumaRows = taps(height, picture.height, picture.cropTop, codedHeight);
  const chromaCols = taps(width, picture.width / 2, picture.cropLeft >> 1, chromaStride);
  const chromaRows = taps(height, picture.height / 2, picture.cropTop >> 1, chromaHeight);
  const out = new Uint8Array(width * height * channels);
  const m = picture.fullRange ? FULL_RANGE_601 : LIMITED_RANGE_601;
  const y = new Float32Array(width);
  const u = new Float32Array(width);
  const v = new Float32Array(width);
  for (let row = 0; row < height; row++) {
    const lr = lumaRows.index[row];
    const cr = chromaRows.index[row];
    sampleRow(yPlane, codedWidth, lr, lumaRows.weight[row], lr + 1 < codedHeight ? 1 : 0, lumaCols, y, codedWidth);
    sampleRow(uPlane, chromaStride, cr, chromaRows.weight[row], cr + 1 < chromaHeight ? 1 : 0, chromaCols, u, chromaStride);
    sampleRow(vPlane, chromaStride, cr, chromaRows.weight[row], cr + 1 < chromaHeight ? 1 : 0, chromaCols, v, chromaStride);
    let at = row * width * channels;
    for (let x = 0; x < width; x++) {
      // BT.601 (Rec. 601 §2.5.3): limited range Y 16..235, Cb/Cr 16..240 around 128, widened to 0..255.
      const c = m.luma * (y[x] - m.offset);
      const d = u[x] - 128;
      const e = v[x] - 128;
      out[at] = clamp(c + m.rv * e);
      out[at + 1] = clamp(c - m.gu * d - m.gv * e);
      out[at + 2] = clamp(c + m.bu * d);
      if (channels === 4) out[at + 3] = 255;
      at += channels;
    }
  }
  return { width, height, data: out };
}

const clamp = (value: number) => (value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value));

/** The picture as the requested image. */
export async function encodeImage(picture: YuvPicture, request: ImageRequest): Promise<Buffer> {
  const rgb = toRgb(picture, request, 3);
  const image = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  // JPEGQuality is libjpeg's 1..100 scale, which sharp takes as it is.
  return request.format === 'JPEG' ? image.jpeg({ quality: request.jpegQuality }).toBuffer() : image.png().toBuffer();
}
