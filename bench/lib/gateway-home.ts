import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The config line that turns every guard on, as the guards-on measurements run them. */
export const ALL_GUARDS = 'guards: { input: [injection, secrets, pii], output: [secrets, pii, canary-token] }\n';

/** A benign prompt of 1,018 characters that every guard lets through (bench/gateway-ab.ts, -gc.ts, -alloc.ts). */
export const GUARDED_PROMPT = `${'The harbour town wakes slowly in the grey light of early morning, and the boats come home. '.repeat(11)}Please summarise.`;

/**
 * Readies a Palisade home for a gateway benchmark with the CLI at `bin`: `palisade init` when it has no config yet,
 * a config that serves `upstream` as the model `chat` (audit in the background unless told; every guard on with
 * `guards`), and a new API key for `chat`, which it returns.
 */
export function benchHome(o: { bin: string; cwd: string; home: string; upstream: string; guards?: boolean; audit?: 'background' | 'required' }): string {
  const env = { ...process.env, PALISADE_HOME: o.home };
  if (!existsSync(join(o.home, 'config.yaml'))) execFileSync(process.execPath, [o.bin, 'init'], { cwd: o.cwd, env });
  writeFileSync(join(o.home, 'config.yaml'), `version: 1\nmodels:\n  chat: { upstream: "${o.upstream}" }\ngateway: { audit: ${o.audit ?? 'background'} }\n${o.guards === true ? ALL_GUARDS : ''}`);
  return (JSON.parse(execFileSync(process.execPath, [o.bin, 'apikeys', 'create', '--name', 'bench', '--models', 'chat', '--json'], { cwd: o.cwd, env }).toString()) as { key: string }).key;
}
