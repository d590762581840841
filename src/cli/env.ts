/** The one module that reads the environment. */
export interface Env {
  /** $PALISADE_HOME: the home folder itself. */
  home?: string;
  /** $PALISADE_CONFIG: a config file. */
  config?: string;
  /** Reads a variable the config names for an upstream credential (`apiKeyEnv`); never logged. */
  secret?: (name: string) => string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const out: Env = {};
  if (env.PALISADE_HOME) out.home = env.PALISADE_HOME;
  if (env.PALISADE_CONFIG) out.config = env.PALISADE_CONFIG;
  out.secret = (name) => env[name];
  return out;
}
