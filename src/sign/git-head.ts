import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const MAX = 1 << 20;

function readSmall(p: string): string | undefined {
  try {
    const st = statSync(p);
    return st.isFile() && st.size <= MAX ? readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The commit a git checkout's HEAD points at, read from the files (.git/HEAD, loose refs, packed-refs; a worktree's
 * `.git` file is followed) without running git: nothing in the tree under attestation is executed. Undefined when
 * it is not a checkout or HEAD cannot be resolved.
 */
export function gitHead(dir: string): string | undefined {
  let gitDir = join(dir, '.git');
  const pointer = readSmall(gitDir);
  if (pointer !== undefined) {
    const m = /^gitdir: (.+)$/m.exec(pointer);
    if (m === null) return undefined;
    gitDir = resolve(dir, m[1]!.trim());
  }
  const head = readSmall(join(gitDir, 'HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (SHA.test(head)) return head;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (ref === undefined || ref.split('/').includes('..')) return undefined;
  // A linked worktree keeps shared refs in the common dir.
  const common = readSmall(join(gitDir, 'commondir'))?.trim();
  for (const base of [gitDir, ...(common === undefined ? [] : [resolve(gitDir, common)])]) {
    const loose = readSmall(join(base, ref))?.trim();
    if (loose !== undefined && SHA.test(loose)) return loose;
    const packed = readSmall(join(base, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    const sha = line?.split(' ')[0];
    if (sha !== undefined && SHA.test(sha)) return sha;
  }
  return undefined;
}
