/** Metadata keeps epoch milliseconds; the wire wants Dates (the codecs write seconds or tag 1). */
export const epochDate = (ms: number) => new Date(ms);
