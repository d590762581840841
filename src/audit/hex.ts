/** Lowercase hex, the encoding of every hash the audit layer prints or stores in JSON. */
export const toHex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');

export const fromHex = (h: string): Uint8Array => Buffer.from(h, 'hex');

/** Byte equality of two hashes read from the store (not secret: plain comparison is fine). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
