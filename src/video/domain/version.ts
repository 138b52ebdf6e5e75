import { randomInt } from 'node:crypto';

/** §2.3: AWS's Version strings are 20 alphanumeric characters, e.g. `vsbqxi7p9kIu1AjRWBiv`. */
export const VERSION_LENGTH = 20;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A fresh Version: a new one on every change, so a CurrentVersion names exactly one state. */
export function newVersion(): string {
  let version = '';
  for (let i = 0; i < VERSION_LENGTH; i++) version += ALPHABET[randomInt(ALPHABET.length)];
  return version;
}
