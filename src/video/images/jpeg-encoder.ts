/**
 * A baseline JPEG encoder (ITU-T T.81) that takes YUV 4:2:0 planes as they are, for the npm
 * decoder: a decoded H.264 picture is already Y, Cb and Cr with the chroma halved both ways, which
 * is what JFIF stores, so there is no colour conversion and a quarter of the chroma blocks that
 * jpeg-js (RGBA in, 4:4:4 out) spends its time on. Tables are the standard ones (Annex K), scaled
 * by quality as libjpeg scales them; the DCT is the AAN one.
 */

/** Natural (row-major) index → position in zig-zag order (Figure A.6). */
const ZIGZAG = [
  0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42, 3, 8, 12, 17, 25, 30, 41, 43, 9, 11, 18, 24, 31, 40, 44, 53,
  10, 19, 23, 32, 39, 45, 52, 54, 20, 22, 33, 38, 46, 51, 55, 60, 21, 34, 37, 47, 50, 56, 59, 61, 35, 36, 48, 49, 57, 58, 62, 63,
];
/** Zig-zag position → natural index. */
const UNZIGZAG = Int32Array.from({ length: 64 }, (_, z) => ZIGZAG.indexOf(z));

/** Annex K.1 Tables K.1 and K.2 (natural order), quality 50. */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array<number>(32).fill(99),
];

/** Annex K.3 Tables K.3–K.6: code counts by length 1..16, then the symbols. */
const DC_LUMA = { counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA = { counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const AC_LUMA = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
    0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
    0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
const AC_CHROMA = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
    0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

interface HuffmanTable {
  counts: number[];
  symbols: number[];
  /** Code and length by symbol (Annex C). */
  code: Int32Array;
  length: Int32Array;
}

function huffman(spec: { counts: number[]; symbols: number[] }): HuffmanTable {
  const code = new Int32Array(256);
  const length = new Int32Array(256);
  let value = 0;
  let at = 0;
  for (let bits = 1; bits <= 16; bits++) {
    for (let n = 0; n < spec.counts[bits - 1]; n++) {
      code[spec.symbols[at]] = value++;
      length[spec.symbols[at]] = bits;
      at++;
    }
    value <<= 1;
  }
  return { ...spec, code, length };
}

const TABLES = { dcLuma: huffman(DC_LUMA), acLuma: huffman(AC_LUMA), dcChroma: huffman(DC_CHROMA), acChroma: huffman(AC_CHROMA) };
/** AAN scale factors: cos(kπ/16)·√2 for k = 1..7, and 1. */
const AAN = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

/** Quality 1..100 onto a quantisation table (libjpeg's jpeg_quality_scaling), natural order. */
function quantTable(base: number[], quality: number): Int32Array {
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2;
  return Int32Array.from(base, (q) => Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))));
}

/** Divisors folding the AAN output scaling into quantisation. */
function divisors(table: Int32Array): Float64Array {
  return Float64Array.from({ length: 64 }, (_, k) => 1 / (table[k] * AAN[k >> 3] * AAN[k & 7] * 8));
}

class BitWriter {
  bytes = new Uint8Array(1 << 16);
  at = 0;
  private buffer = 0;
  private bits = 0;

  byte(value: number): void {
    if (this.at === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.at++] = value;
  }

  raw(values: ArrayLike<number>): void {
    for (let k = 0; k < values.length; k++) this.byte(values[k]);
  }

  /** Entropy-coded bits, most significant first, with a 0 stuffed after every 0xFF (F.1.2.3). */
  write(value: number, length: number): void {
    this.buffer = (this.buffer << length) | (value & ((1 << length) - 1));
    this.bits += length;
    while (this.bits >= 8) {
      const out = (this.buffer >> (this.bits - 8)) & 0xff;
      this.byte(out);
      if (out === 0xff) this.byte(0);
      this.bits -= 8;
    }
    this.buffer &= (1 << this.bits) - 1;
  }

  /** Pads the last byte with 1 bits. */
  flush(): void {
    if (this.bits > 0) this.write(0x7f, 8 - this.bits);
  }
}

/** Planes of a picture: Y at full size, Cb and Cr at half size each way (rounded up), full-range (JFIF) values. */
export interface Yuv420Planes {
  width: number;
  height: number;
  y: Uint8Array;
  cb: Uint8Array;
  cr: Uint8Array;
}

/** Encodes the planes as a baseline JFIF JPEG at quality 1..100. */
export function encodeJpeg(planes: Yuv420Planes, quality: number): Buffer {
  const { width, height } = planes;
  const chromaWidth = (width + 1) >> 1;
  const chromaHeight = (height + 1) >> 1;
  const lumaQuant = quantTable(LUMA_QUANT, quality);
  const chromaQuant = quantTable(CHROMA_QUANT, quality);
  const lumaDivisors = divisors(lumaQuant);
  const chromaDivisors = divisors(chromaQuant);
  const out = new BitWriter();
  out.raw([0xff, 0xd8]); // SOI
  out.raw([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]); // APP0 JFIF 1.01, no density unit
  for (const [id, table] of [[0, lumaQuant], [1, chromaQuant]] as const) {
    out.raw([0xff, 0xdb, 0, 67, id]);
    for (let z = 0; z < 64; z++) out.byte(table[UNZIGZAG[z]]);
  }
  // SOF0: 8-bit, three components; Y sampled 2×2, Cb and Cr 1×1 (4:2:0).
  out.raw([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  for (const [klass, table] of [[0x00, TABLES.dcLuma], [0x10, TABLES.acLuma], [0x01, TABLES.dcChroma], [0x11, TABLES.acChroma]] as const) {
    const size = 2 + 1 + 16 + table.symbols.length;
    out.raw([0xff, 0xc4, size >> 8, size & 0xff, klass]);
    out.raw(table.counts);
    out.raw(table.symbols);
  }
  out.raw([0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]); // SOS
  const block = new Float64Array(64);
  const coefficients = new Int32Array(64);
  const previousDc = [0, 0, 0];
  for (let my = 0; my < height; my += 16) {
    for (let mx = 0; mx < width; mx += 16) {
      for (let b = 0; b < 4; b++) {
        load(planes.y, width, width, height, mx + (b & 1) * 8, my + (b >> 1) * 8, block);
        previousDc[0] = encodeBlock(out, block, lumaDivisors, coefficients, previousDc[0], TABLES.dcLuma, TABLES.acLuma);
      }
      load(planes.cb, chromaWidth, chromaWidth, chromaHeight, mx >> 1, my >> 1, block);
      previousDc[1] = encodeBlock(out, block, chromaDivisors, coefficients, previousDc[1], TABLES.dcChroma, TABLES.acChroma);
      load(planes.cr, chromaWidth, chromaWidth, chromaHeight, mx >> 1, my >> 1, block);
      previousDc[2] = encodeBlock(out, block, chromaDivisors, coefficients, previousDc[2], TABLES.dcChroma, TABLES.acChroma);
    }
  }
  out.flush();
  out.raw([0xff, 0xd9]); // EOI
  return Buffer.from(out.bytes.buffer, 0, out.at);
}

/** An 8×8 block at (x, y), level-shifted by 128; past the picture's edge the last row or column repeats (A.2.4). */
function load(plane: Uint8Array, stride: number, width: number, height: number, x: number, y: number, block: Float64Array): void {
  for (let row = 0; row < 8; row++) {
    const line = Math.min(y + row, height - 1) * stride;
    for (let col = 0; col < 8; col++) block[row * 8 + col] = plane[line + Math.min(x + col, width - 1)] - 128;
  }
}

/** Number of bits of |value| (its Huffman category, F.1.2.1). */
const category = (value: number) => (value === 0 ? 0 : 32 - Math.clz32(value < 0 ? -value : value));

/** FDCT, quantisation and Huffman coding of one block; returns its DC for the next block's difference. */
function encodeBlock(out: BitWriter, data: Float64Array, divisor: Float64Array, q: Int32Array, previousDc: number, dc: HuffmanTable, ac: HuffmanTable): number {
  fdct(data);
  for (let k = 0; k < 64; k++) {
    const v = data[UNZIGZAG[k]] * divisor[UNZIGZAG[k]];
    q[k] = v > 0 ? (v + 0.5) | 0 : (v - 0.5) | 0;
  }
  const diff = q[0] - previousDc;
  const dcBits = category(diff);
  out.write(dc.code[dcBits], dc.length[dcBits]);
  if (dcBits) out.write(diff < 0 ? diff - 1 : diff, dcBits);
  let last = 63;
  while (last > 0 && q[last] === 0) last--;
  let zeros = 0;
  for (let k = 1; k <= last; k++) {
    const v = q[k];
    if (v === 0) {
      zeros++;
      continue;
    }
    while (zeros >= 16) {
      out.write(ac.code[0xf0], ac.length[0xf0]); // ZRL: sixteen zeros
      zeros -= 16;
    }
    const bits = category(v);
    const symbol = (zeros << 4) | bits;
    out.write(ac.code[symbol], ac.length[symbol]);
    out.write(v < 0 ? v - 1 : v, bits);
    zeros = 0;
  }
  if (last < 63) out.write(ac.code[0x00], ac.length[0x00]); // EOB
  return q[0];
}

/** The AAN forward DCT in place, rows then columns (outputs scaled; `divisors` undoes it). */
function fdct(d: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    const step = pass === 0 ? 1 : 8;
    const stride = pass === 0 ? 8 : 1;
    for (let line = 0; line < 8; line++) {
      const o = line * stride;
      const d0 = d[o], d1 = d[o + step], d2 = d[o + 2 * step], d3 = d[o + 3 * step];
      const d4 = d[o + 4 * step], d5 = d[o + 5 * step], d6 = d[o + 6 * step], d7 = d[o + 7 * step];
      const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
      const t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
      const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
      d[o] = t10 + t11;
      d[o + 4 * step] = t10 - t11;
      const z1 = (t12 + t13) * 0.707106781;
      d[o + 2 * step] = t13 + z1;
      d[o + 6 * step] = t13 - z1;
      const s10 = t4 + t5, s11 = t5 + t6, s12 = t6 + t7;
      const z5 = (s10 - s12) * 0.382683433;
      const z2 = 0.5411961 * s10 + z5;
      const z4 = 1.306562965 * s12 + z5;
      const z3 = s11 * 0.707106781;
      const z11 = t7 + z3, z13 = t7 - z3;
      d[o + 5 * step] = z13 + z2;
      d[o + 3 * step] = z13 - z2;
      d[o + step] = z11 + z4;
      d[o + 7 * step] = z11 - z4;
    }
  }
}
