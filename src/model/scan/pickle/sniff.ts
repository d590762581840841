/** True when the bytes start like a pickle stream: PROTO 2–5, or a protocol 0/1 opening that parses. */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return true;
  return false;
}
