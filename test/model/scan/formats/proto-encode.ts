/** A tiny protobuf encoder for tests: builds hand-made ONNX and SavedModel messages field by field. */

export function varint(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function tag(field: number, wire: number): Uint8Array {
  return varint(field * 8 + wire);
}

export function msg(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A LEN field holding `payload`. */
export function bytes(field: number, payload: Uint8Array): Uint8Array {
  return msg(tag(field, 2), varint(payload.length), payload);
}

export function str(field: number, s: string): Uint8Array {
  return bytes(field, new TextEncoder().encode(s));
}

export function int(field: number, n: number | bigint): Uint8Array {
  return msg(tag(field, 0), varint(n));
}

/** An empty message's bytes (for readability at call sites). */
export function len(n: number): Uint8Array {
  return new Uint8Array(n);
}
