/**
 * Just enough DER to find one X.509 extension: Node's X509Certificate exposes extended key usage but not the
 * KeyUsage bits. Bounded: every length is checked against the bytes that exist, and the walk is a fixed path.
 */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Buffer, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = b[pos]!;
  let len = b[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  return start + len > limit ? undefined : { tag, start, end: start + len };
}

function children(b: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end; ) {
    const t = tlv(b, p, parent.end);
    if (t === undefined) return out;
    out.push(t);
    p = t.end;
  }
  return out;
}

const KEY_USAGE_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);

/**
 * The KeyUsage bit string's first byte (bit 0x80 = digitalSignature, 0x04 = keyCertSign) from a DER certificate,
 * or undefined when the certificate has no KeyUsage extension (or it cannot be found in well-formed DER).
 */
export function keyUsageByte(der: Buffer): number | undefined {
  const cert = tlv(der, 0, der.length);
  const tbs = cert && children(der, cert)[0];
  if (tbs === undefined) return undefined;
  const extsWrapper = children(der, tbs).find((t) => t.tag === 0xa3);
  const exts = extsWrapper && children(der, extsWrapper)[0];
  if (exts === undefined) return undefined;
  for (const ext of children(der, exts)) {
    const parts = children(der, ext);
    const oid = parts[0];
    if (oid === undefined || !der.subarray(oid.start - 2, oid.end).equals(KEY_USAGE_OID)) continue;
    const value = parts[parts.length - 1]!; // OCTET STRING (after the optional critical BOOLEAN)
    const bits = tlv(der, value.start, value.end);
    if (bits === undefined || bits.tag !== 0x03 || bits.end - bits.start < 2) return undefined;
    return der[bits.start + 1];
  }
  return undefined;
}
