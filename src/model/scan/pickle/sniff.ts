import { DEFAULT_LIMITS } from '../limits.js';
import { OPCODES } from './opcodes.js';
import { PickleWalker } from './walker.js';

const NO_POLICY = { classify: () => ({ kind: 'safe' as const }) };

/**
 * True when the bytes start like a pickle stream: PROTO 2–5, or (protocols 0 and 1, which have no header) a prefix
 * that walks cleanly for several opcodes. Text files fail the walk within a few bytes.
 */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return true;
  if (head.length < 2 || OPCODES[head[0]!] === undefined || head[0] === 0x80) return false;
  const w = new PickleWalker({ policy: NO_POLICY, limits: DEFAULT_LIMITS, report: () => undefined, speculative: true });
  w.feed(head);
  const s = w.end();
  return s.clean ? s.pickles > 0 || s.opcodes >= 8 : s.pickles > 0;
}
