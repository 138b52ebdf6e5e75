/**
 * A fragment's media on its way to the store, without copying it: the pieces of the PutMedia body
 * are kept as the views the reader handed over (adjacent views of one network read are joined
 * back into one view), and handed to the store as the records of one append of about
 * MEDIA_CHUNK_BYTES. The store copies each byte once, into its own value (the embedded store) or
 * message (NATS); gathering the pieces into one buffer first would be a second copy of every byte
 * (measured: about half the CPU of a 1 MiB-fragment ingest went to the two copies).
 */

/** Bytes of media per store append (one LMDB value; NATS splits it over messages by max_payload). */
export const MEDIA_CHUNK_BYTES = 1024 * 1024;
/**
 * Largest media record: well inside NATS's default max_payload (1 MB), so that a record always fits
 * a message of a server left at its defaults.
 */
export const MEDIA_RECORD_BYTES = 256 * 1024;

export class MediaBuffer {
  private pieces: Buffer[] = [];
  private size = 0;

  get bytes(): number {
    return this.size;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    const last = this.pieces[this.pieces.length - 1];
    // The reader slices one network read into element headers and payloads that follow each other.
    if (last && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset && last.length + piece.length <= MEDIA_RECORD_BYTES) {
      this.pieces[this.pieces.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
      return;
    }
    this.pieces.push(piece);
  }

  /**
   * The records of the next append: up to `max` bytes (all that is buffered when `max` is larger),
   * each at most MEDIA_RECORD_BYTES; a piece cut at the limit leaves its rest buffered.
   */
  take(max = MEDIA_CHUNK_BYTES): Buffer[] {
    const out: Buffer[] = [];
    let taken = 0;
    while (this.pieces.length && taken < max) {
      let piece = this.pieces[0];
      const room = Math.min(max - taken, MEDIA_RECORD_BYTES);
      if (piece.length > room) {
        this.pieces[0] = piece.subarray(room);
        piece = piece.subarray(0, room);
      } else this.pieces.shift();
      out.push(piece);
      taken += piece.length;
    }
    this.size -= taken;
    return out;
  }
}
