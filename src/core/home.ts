import { existsSync, mkdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_CONFIG_YAML } from './config-schema.js';
import { CoreError } from './errors.js';
import { ensureHomeKeys } from './keys.js';

export const HOME_DIR = '.palisade';

/**
 * Refuses a home or config owned by another user or writable by others — as git refuses an unsafe directory —
 * because whoever can write it can allowlist their own payload.
 */
export function assertSafeOwnership(path: string, st: Stats, what: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new CoreError('CORE_HOME_UNSAFE', `${what} ${path} is owned by uid ${st.uid}, not by you (uid ${uid}); refusing to use it. Fix with: chown -R $(id -u) ${path}`);
  }
  if ((st.mode & 0o002) !== 0) {
    throw new CoreError('CORE_HOME_UNSAFE', `${what} ${path} is writable by every user; refusing to use it. Fix with: chmod o-w ${path}`);
  }
}

/** Finds the home: `homeOverride` (from $PALISADE_HOME) names it directly; else walk up from `cwd` like git. */
export function findHome(cwd: string, homeOverride?: string): string | undefined {
  if (homeOverride !== undefined && homeOverride !== '') return resolve(cwd, homeOverride);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, HOME_DIR);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Checks an existing home before anything in it is read. */
export function checkHome(home: string): void {
  let st: Stats;
  try {
    st = statSync(home);
  } catch (err) {
    throw new CoreError('CORE_HOME_NOT_FOUND', `home ${home} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isDirectory()) throw new CoreError('CORE_HOME_NOT_FOUND', `home ${home} is not a folder`);
  assertSafeOwnership(home, st, 'home');
}

export interface InitResult {
  home: string;
  created: string[];
}

/**
 * Creates the home (mode 0700) with a default config, a `.gitignore` of `*`, the audit log's Ed25519 key pair and the
 * secret for keyed digests. Safe to re-run: keeps what exists.
 */
export function initHome(home: string): InitResult {
  const created: string[] = [];
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    created.push(home);
  }
  checkHome(home);
  const files: [string, string][] = [
    ['config.yaml', DEFAULT_CONFIG_YAML],
    ['.gitignore', '*\n'],
  ];
  for (const [name, text] of files) {
    const p = join(home, name);
    if (existsSync(p)) continue;
    writeFileSync(p, text, { mode: 0o600, flag: 'wx' });
    created.push(p);
  }
  created.push(...ensureHomeKeys(home));
  return { home, created };
}
