/** The one module that reads the environment. */
export interface Env {
  /** $PALISADE_HOME: the home folder itself. */
  home?: string;
  /** $PALISADE_CONFIG: a config file. */
  config?: string;
  /** $PALISADE_TOKEN: the control-plane user token the CLI acts as (never logged). */
  token?: string;
  /** $PALISADE_SERVER: the control plane the CLI acts on by default (`--server` overrides). */
  server?: string;
  /** Reads a variable the config names for an upstream credential (`apiKeyEnv`); never logged. */
  secret?: (name: string) => string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const out: Env = {};
  if (env.PALISADE_HOME) out.home = env.PALISADE_HOME;
  if (env.PALISADE_CONFIG) out.config = env.PALISADE_CONFIG;
  if (env.PALISADE_TOKEN) out.token = env.PALISADE_TOKEN;
  if (env.PALISADE_SERVER) out.server = env.PALISADE_SERVER;
  out.secret = (name) => env[name];
  return out;
}
