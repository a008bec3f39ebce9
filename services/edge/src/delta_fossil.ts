/**
 * Fossil delta creation (the format of fossil-scm's delta.c, which centrifuge-js applies with
 * its bundled `applyDelta`, client-protocol.md §6.6). Output: the target length, `\n`, then copy
 * (`<count>@<offset>,`) and insert (`<count>:<bytes>`) commands, and `<checksum>;`. Integers are
 * base-64 digits; the checksum is fossil's 32-bit sum of big-endian words.
 *
 * What must hold: applyDelta(source, createFossilDelta(source, target)) equals target for any
 * byte arrays (the unit test checks it against the SDK's own decoder).
 */

const NHASH = 16;
const DIGITS = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~', (c) => c.charCodeAt(0));
const COLON = 0x3a;
const AT = 0x40;
const COMMA = 0x2c;
const SEMI = 0x3b;
const NL = 0x0a;

class RollingHash {
  a = 0;
  b = 0;
  i = 0;
  readonly z = new Array<number>(NHASH).fill(0);

  init(buf: Uint8Array, pos: number): void {
    let a = 0;
    let b = 0;
    for (let i = 0; i < NHASH; i++) {
      const x = buf[pos + i]!;
      a = (a + x) & 0xffff;
      b = (b + (NHASH - i) * x) & 0xffff;
      this.z[i] = x;
    }
    this.a = a;
    this.b = b;
    this.i = 0;
  }

  next(c: number): void {
    const old = this.z[this.i]!;
    this.z[this.i] = c;
    this.i = (this.i + 1) & (NHASH - 1);
    this.a = (this.a - old + c) & 0xffff;
    this.b = (this.b - NHASH * old + this.a) & 0xffff;
  }

  value(): number {
    return ((this.a & 0xffff) | ((this.b & 0xffff) << 16)) >>> 0;
  }
}

class Out {
  buf: Uint8Array;
  len = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  int(v: number): void {
    if (v === 0) {
      this.byte(DIGITS[0]!);
      return;
    }
    const tmp: number[] = [];
    for (; v > 0; v = Math.floor(v / 64)) tmp.push(DIGITS[v % 64]!);
    this.ensure(tmp.length);
    for (let j = tmp.length - 1; j >= 0; j--) this.buf[this.len++] = tmp[j]!;
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += end - start;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function digitCount(v: number): number {
  let i = 1;
  for (let x = 64; v >= x; i++, x *= 64);
  return i;
}

/** fossil's checksum: sum of the target as big-endian 32-bit words (tail bytes in the high bits). */
export function fossilChecksum(arr: Uint8Array): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let z = 0;
  let n = arr.length;
  while (n >= 4) {
    sum0 = (sum0 + arr[z]!) | 0;
    sum1 = (sum1 + arr[z + 1]!) | 0;
    sum2 = (sum2 + arr[z + 2]!) | 0;
    sum3 = (sum3 + arr[z + 3]!) | 0;
    z += 4;
    n -= 4;
  }
  sum3 = (((((sum3 + (sum2 << 8)) | 0) + (sum1 << 16)) | 0) + (sum0 << 24)) | 0;
  if (n === 3) sum3 = (sum3 + (arr[z + 2]! << 8)) | 0;
  if (n >= 2) sum3 = (sum3 + (arr[z + 1]! << 16)) | 0;
  if (n >= 1) sum3 = (sum3 + (arr[z]! << 24)) | 0;
  return sum3 >>> 0;
}

/** The fossil delta that turns `source` into `target`. */
export function createFossilDelta(source: Uint8Array, target: Uint8Array): Uint8Array {
  const lenOut = target.length;
  const lenSrc = source.length;
  const out = new Out(lenOut + 32);
  out.int(lenOut);
  out.byte(NL);

  if (lenSrc <= NHASH) {
    out.int(lenOut);
    out.byte(COLON);
    out.bytes(target, 0, lenOut);
    out.int(fossilChecksum(target));
    out.byte(SEMI);
    return out.result();
  }

  // Landmarks: a hash of every NHASH-aligned block of the source.
  const nHash = Math.ceil(lenSrc / NHASH);
  const collide = new Int32Array(nHash).fill(-1);
  const landmark = new Int32Array(nHash).fill(-1);
  const h = new RollingHash();
  for (let i = 0; i < lenSrc - NHASH; i += NHASH) {
    h.init(source, i);
    const hv = h.value() % nHash;
    collide[i / NHASH] = landmark[hv]!;
    landmark[hv] = i / NHASH;
  }

  let base = 0;
  while (base + NHASH < lenOut) {
    let bestOfst = 0;
    let bestLitsz = 0;
    let bestCnt = 0;
    h.init(target, base);
    let i = 0;
    for (;;) {
      let limit = 250;
      let iBlock = landmark[h.value() % nHash]!;
      while (iBlock >= 0 && limit-- > 0) {
        // Extend the candidate match forwards from the block start, then backwards.
        const iSrc = iBlock * NHASH;
        let j = 0;
        for (let x = iSrc, y = base + i; x < lenSrc && y < lenOut; j++, x++, y++) {
          if (source[x] !== target[y]) break;
        }
        j--;
        let k = 1;
        for (; k < iSrc && k <= i; k++) {
          if (source[iSrc - k] !== target[base + i - k]) break;
        }
        k--;
        const ofst = iSrc - k;
        const cnt = j + k + 1;
        const litsz = i - k;
        // Bytes needed to encode the insert and copy commands, without the literal text.
        const sz = digitCount(i - k) + digitCount(cnt) + digitCount(ofst) + 3;
        if (cnt >= sz && cnt > bestCnt) {
          bestCnt = cnt;
          bestOfst = ofst;
          bestLitsz = litsz;
        }
        iBlock = collide[iBlock]!;
      }

      if (bestCnt > 0) {
        if (bestLitsz > 0) {
          out.int(bestLitsz);
          out.byte(COLON);
          out.bytes(target, base, base + bestLitsz);
          base += bestLitsz;
        }
        base += bestCnt;
        out.int(bestCnt);
        out.byte(AT);
        out.int(bestOfst);
        out.byte(COMMA);
        break;
      }

      if (base + i + NHASH >= lenOut) {
        out.int(lenOut - base);
        out.byte(COLON);
        out.bytes(target, base, lenOut);
        base = lenOut;
        break;
      }
      h.next(target[base + i + NHASH]!);
      i++;
    }
  }
  if (base < lenOut) {
    out.int(lenOut - base);
    out.byte(COLON);
    out.bytes(target, base, lenOut);
  }
  out.int(fossilChecksum(target));
  out.byte(SEMI);
  return out.result();
}
