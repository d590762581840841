import { existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { DEFAULT_CONFIG, loadConfigFile } from '../core/config.js';
import type { Config } from '../core/config-schema.js';
import { CoreError } from '../core/errors.js';
import { checkHome, findHome } from '../core/home.js';
import type { Env } from './env.js';

export interface ResolvedConfig {
  config: Config;
  /** The file it came from, or undefined for built-in defaults. */
  file?: string;
  home?: string;
  warnings: string[];
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

function inside(child: string, parent: string): boolean {
  const rel = relative(real(parent), real(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Finds the config: `--config FILE`, then $PALISADE_CONFIG, then `<home>/config.yaml`. `untrusted` are trees under
 * inspection (scan targets): a config or home inside one is never read — a downloaded model could otherwise ship a
 * config that allowlists its own payload. Named explicitly, that is an error; found by walking up, it is skipped.
 */
export function resolveConfig(cwd: string, env: Env, flag: string | undefined, untrusted: readonly string[] = []): ResolvedConfig {
  const warnings: string[] = [];
  const explicit = flag ?? env.config;
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    const bad = untrusted.find((t) => inside(file, resolve(cwd, t)));
    if (bad !== undefined) {
      throw new CoreError('CORE_CONFIG_UNSAFE', `config ${file} is inside the scanned path ${bad}; a scanned tree cannot configure its own scan. Move the config elsewhere.`);
    }
    return { config: loadConfigFile(file), file, warnings };
  }
  const home = findHome(cwd, env.home);
  if (home === undefined || !existsSync(home)) return { config: DEFAULT_CONFIG, warnings };
  const bad = untrusted.find((t) => inside(home, resolve(cwd, t)));
  if (bad !== undefined) {
    warnings.push(`ignoring Palisade home ${home}: it is inside the scanned path ${bad}; using built-in defaults`);
    return { config: DEFAULT_CONFIG, warnings };
  }
  checkHome(home);
  const file = join(home, 'config.yaml');
  if (!existsSync(file)) return { config: DEFAULT_CONFIG, home, warnings };
  return { config: loadConfigFile(file), file, home, warnings };
}
