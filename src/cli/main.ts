import { Command, CommanderError } from 'commander';
import { BaseError } from '../core/errors.js';
import type { ScanFlags } from './commands/scan.js';
import { readEnv, type Env } from './env.js';
import { processIo, type Io } from './io.js';
import { VERSION } from './version.js';

/** Adds one top-level command (or a few that share a module) to the program. */
type Register = (program: Command, io: Io, env: Env, setCode: (c: number) => void, untilStopped: () => Promise<void>) => void;

/**
 * Each top-level command's module, imported only when that command runs (or when help lists them all): importing
 * every layer up front (the gateway, the registry, the control plane, the guards' model) cost about a second per
 * invocation, `palisade --version` included. The order is the order of `palisade --help`.
 */
export const COMMANDS: readonly (readonly [names: readonly string[], load: () => Promise<Register>])[] = [
  [['audit'], async () => (await import('./commands/audit.js')).registerAudit],
  [['apikeys'], async () => (await import('./commands/apikeys.js')).registerApiKeys],
  [['guard'], async () => (await import('./commands/guard.js')).registerGuard],
  [['serve'], async () => (await import('./commands/serve.js')).registerServe],
  [['keygen', 'sign', 'verify'], async () => (await import('./commands/sign.js')).registerSign],
  [['data'], async () => (await import('./commands/data.js')).registerData],
  [['attest'], async () => (await import('./commands/attest.js')).registerAttest],
  [['model'], async () => (await import('./commands/model.js')).registerModelCommands],
  [['dataset'], async () => (await import('./commands/dataset.js')).registerDatasetCommands],
  [['trust'], async () => (await import('./commands/trust.js')).registerTrust],
  [['users'], async () => (await import('./commands/users.js')).registerUsers],
  [['incident'], async () => (await import('./commands/incident.js')).registerIncident],
  [['discover'], async () => (await import('./commands/discover.js')).registerDiscover],
];

/**
 * The command modules an invocation needs: the named command's alone, none for `--version` or for `init` and `scan`
 * (defined here), every one otherwise (help, a mistyped command's suggestions).
 */
function needed(argv: readonly string[]): (() => Promise<Register>)[] {
  const first = argv[0];
  if (first === '--version' || first === '-V' || first === 'init' || first === 'scan') return [];
  const named = COMMANDS.find(([names]) => first !== undefined && names.includes(first));
  return named !== undefined ? [named[1]] : COMMANDS.map(([, load]) => load);
}

/** Resolves on the first SIGINT or SIGTERM: how a long-running command (serve) learns to stop. */
const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/**
 * Runs the command line and returns the exit code: 0 clean, 1 findings or failed verification, 2 usage or input
 * error. Errors become one line on stderr naming the problem and what to do; stack traces only for real bugs.
 */
export async function main(argv: string[], io: Io = processIo(), env: Env = readEnv()): Promise<number> {
  let code = 0;
  const program = new Command('palisade')
    .description('Layered security for the AI stack')
    .version(VERSION)
    // Program options only before the command: `model register --version 1.0.0` is the model's version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run palisade --help for usage)');

  program
    .command('init')
    .description('create the Palisade home (.palisade/ with config.yaml) here, or at $PALISADE_HOME; safe to re-run')
    .option('--json', 'print what was created as JSON')
    .option('--admin <name>', 'name of the first admin (created when the store has no users; default: your OS user name)')
    .action(async (flags: { json?: boolean; admin?: string }) => {
      const { runInit } = await import('./commands/init.js');
      code = await runInit(flags, io, env);
    });

  program
    .command('scan')
    .description('scan model files and folders without loading them')
    .argument('<paths...>', 'files and folders (recursively; archives inside archives too)')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <verdict>', 'exit 1 at this verdict or worse: unsafe | suspicious (default from config: suspicious)')
    .option('--suppressions <file>', 'YAML of accepted findings (sha256, rule, reason)')
    .option('--workers <n>', 'worker threads (default: start one per core once files prove CPU-bound; 1: none)')
    .option('--config <file>', 'config file (default: $PALISADE_CONFIG, then <home>/config.yaml)')
    .option('--no-progress', 'no progress bar')
    .option('--no-record', 'do not record the verdicts in the audit log (recorded when a home exists)')
    .option('-v, --verbose', 'list safe files too (text format)')
    .action(async (paths: string[], flags: ScanFlags) => {
      const { runScan } = await import('./commands/scan.js');
      code = await runScan(paths, flags, io, env);
    });

  const setCode = (c: number): void => {
    code = c;
  };
  for (const register of await Promise.all(needed(argv).map((load) => load()))) register(program, io, env, setCode, untilSignal);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof BaseError) {
      io.stderr(`palisade: ${err.message}\n`);
      return 2;
    }
    io.stderr(`palisade: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 2;
  }
}
