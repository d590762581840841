import fc from 'fast-check';

/** A mutation: overwrite, xor, cut, or insert, at a position given as a fraction of the length. */
export const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('xor' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }),
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

export function mutate(input: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = input.slice();
  for (const m of muts) {
    const i = Math.min(b.length - 1, Math.floor(m.at * b.length));
    if (i < 0) break;
    if (m.kind === 'set') b[i] = m.value;
    else if (m.kind === 'xor') b[i]! ^= m.value;
    else if (m.kind === 'cut') b = b.slice(0, i);
    else b = Uint8Array.from([...b.subarray(0, i), m.value, ...b.subarray(i)]);
  }
  return b;
}

