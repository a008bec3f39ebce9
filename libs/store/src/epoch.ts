// Stream epochs: 8 random ASCII letters, as Centrifugo generates them (server.md §3.3).
import { randomBytes } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const EPOCH_LENGTH = 8;

/** A fresh epoch of EPOCH_LENGTH letters from [a-zA-Z], uniformly drawn from a CSPRNG. */
export function generateEpoch(): string {
  let out = '';
  while (out.length < EPOCH_LENGTH) {
    for (const byte of randomBytes(EPOCH_LENGTH * 2)) {
      // 208 = 4 * 52: rejecting larger bytes keeps every letter equally likely.
      if (byte < 208 && out.length < EPOCH_LENGTH) out += LETTERS[byte % 52];
    }
  }
  return out;
}
