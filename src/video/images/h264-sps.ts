/**
 * What the npm decoder needs from an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1): the
 * profile, to turn away streams tinyh264 cannot decode, and the cropping window, because tinyh264
 * returns whole macroblocks (a 640×360 picture comes out 640×368).
 */

export const NAL_SPS = 7;
/** profile_idc of Baseline (Annex A.2.1); Constrained Baseline is 66 with constraint_set1_flag. */
const PROFILE_BASELINE = 66;
/** constraint_set0_flag: the stream obeys every Baseline constraint whatever its profile_idc (A.2.1). */
const CONSTRAINT_SET0 = 0x80;

export interface SequenceParameters {
  profileIdc: number;
  /** True when a Baseline decoder can decode the stream (Baseline, or any profile flagged Baseline-conformant). */
  baseline: boolean;
  /** The picture in luma samples, after cropping. */
  width: number;
  height: number;
  /** The cropping window's top-left corner in luma samples. */
  cropLeft: number;
  cropTop: number;
  /** VUI video_full_range_flag (E.2.1): samples use 0..255, not 16..235 (some IP cameras); false when absent. */
  fullRange: boolean;
}

/** The NAL units of an Annex-B buffer (start codes of 3 or 4 bytes), without their start codes. */
export function nalUnits(data: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, n) => {
    let end = n + 1 < starts.length ? starts[n + 1] - 3 : data.length;
    while (end > start && data[end - 1] === 0) end--; // trailing zero bytes belong to the next start code
    return data.subarray(start, end);
  });
}

class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  u(n: number): number {
    let value = 0;
    for (let k = 0; k < n; k++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('the SPS ends early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }

  /** ue(v), Exp-Golomb (§9.1). */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31) throw new RangeError('an Exp-Golomb code is too long');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : -k / 2;
  }
}

/** The RBSP of a NAL unit: its header byte dropped, emulation prevention bytes (00 00 03) removed. */
function rbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    if (zeros >= 2 && nal[i] === 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] === 0 ? zeros + 1 : 0;
    out[n++] = nal[i];
  }
  return out.subarray(0, n);
}

/** aspect_ratio_idc of an explicit sample aspect ratio (Table E-1). */
const EXTENDED_SAR = 255;

/** profile_idc values whose SPS carries chroma_format_idc and the rest (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (header byte included); RangeError when it is cut short or malformed. */
export function parseSps(nal: Uint8Array): SequenceParameters {
  const bits = new BitReader(rbsp(nal));
  const profileIdc = bits.u(8);
  const constraints = bits.u(8);
  bits.u(8); // level_idc
  bits.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = bits.ue();
    if (chromaFormatIdc === 3) bits.u(1); // separate_colour_plane_flag
    bits.ue(); // bit_depth_luma_minus8
    bits.ue(); // bit_depth_chroma_minus8
    bits.u(1); // qpprime_y_zero_transform_bypass_flag
    if (bits.u(1)) {
      // seq_scaling_matrix_present_flag: skip the scaling lists (§7.3.2.1.1.1).
      for (let list = 0; list < (chromaFormatIdc === 3 ? 12 : 8); list++) {
        if (!bits.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (list < 6 ? 16 : 64) && next !== 0; j++) {
          next = (last + bits.se() + 256) % 256;
          if (next !== 0) last = next;
        }
      }
    }
  }
  bits.ue(); // log2_max_frame_num_minus4
  const pocType = bits.ue();
  if (pocType === 0) bits.ue();
  else if (pocType === 1) {
    bits.u(1);
    bits.se();
    bits.se();
    const cycle = bits.ue();
    for (let k = 0; k < cycle; k++) bits.se();
  }
  bits.ue(); // max_num_ref_frames
  bits.u(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.ue() + 1;
  const heightInMapUnits = bits.ue() + 1;
  const frameMbsOnly = bits.u(1);
  if (!frameMbsOnly) bits.u(1); // mb_adaptive_frame_field_flag
  bits.u(1); // direct_8x8_inference_flag
  const codedWidth = widthInMbs * 16;
  const codedHeight = (2 - frameMbsOnly) * heightInMapUnits * 16;
  let crop = [0, 0, 0, 0];
  if (bits.u(1)) crop = [bits.ue(), bits.ue(), bits.ue(), bits.ue()];
  let fullRange = false;
  if (bits.u(1)) {
    // vui_parameters (E.1.1) up to video_full_range_flag.
    if (bits.u(1) && bits.u(8) === EXTENDED_SAR) bits.u(32); // aspect_ratio_idc, then sar_width and sar_height
    if (bits.u(1)) bits.u(1); // overscan_appropriate_flag
    if (bits.u(1)) {
      bits.u(3); // video_format
      fullRange = bits.u(1) === 1;
    }
  }
  // Crop units (§7.4.2.1.1, Table 6-1): 4:2:0 halves both directions, 4:2:2 only across, 4:4:4 neither.
  const unitX = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
  const unitY = (chromaFormatIdc === 1 ? 2 : 1) * (2 - frameMbsOnly);
  const [left, right, top, bottom] = crop;
  const width = codedWidth - unitX * (left + right);
  const height = codedHeight - unitY * (top + bottom);
  if (width <= 0 || height <= 0) throw new RangeError('the SPS crops the whole picture away');
  return {
    profileIdc,
    baseline: profileIdc === PROFILE_BASELINE || (constraints & CONSTRAINT_SET0) !== 0,
    width,
    height,
    cropLeft: unitX * left,
    cropTop: unitY * top,
    fullRange,
  };
}
