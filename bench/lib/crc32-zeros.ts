/**
 * CRC-32 of `n` zero bytes in O(log n), so a sparse 16 GB zip gets correct CRCs without reading 16 GB of zeros.
 * This is zlib's crc32_combine (GF(2) matrix squaring, crc32.c in zlib 1.2.11): appending n zero bytes is a linear
 * map on the CRC register, and crc(zeros) = shift_n(0xffffffff) ^ 0xffffffff.
 */
export function crc32OfZeros(n: number): number {
  if (n <= 0) return 0;
  return combine(0xffffffff, 0xffffffff, n);
}

function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function square(out: Uint32Array, mat: Uint32Array): void {
  for (let i = 0; i < 32; i++) out[i] = times(mat, mat[i]!);
}

function combine(crc1: number, crc2: number, len: number): number {
  if (len <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // The operator for one zero bit: the reflected CRC-32 polynomial, then shifts.
  odd[0] = 0xedb88320;
  for (let i = 1, row = 1; i < 32; i++, row <<= 1) odd[i] = row;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let c = crc1 >>> 0;
  // `len` may exceed 2^32 (16 GB members), so halve it with division rather than bit shifts.
  let rest = len;
  for (;;) {
    square(even, odd);
    if (rest % 2 === 1) c = times(even, c);
    rest = Math.floor(rest / 2);
    if (rest === 0) break;
    square(odd, even);
    if (rest % 2 === 1) c = times(odd, c);
    rest = Math.floor(rest / 2);
    if (rest === 0) break;
  }
  return (c ^ crc2) >>> 0;
}
