import { Command, CommanderError } from 'commander';
import { BaseError } from '../core/errors.js';
import { registerApiKeys } from './commands/apikeys.js';
import { registerAudit } from './commands/audit.js';
import { registerGuard } from './commands/guard.js';
import { registerServe } from './commands/serve.js';
import { runInit } from './commands/init.js';
import { runScan, type ScanFlags } from './commands/scan.js';
import { registerSign } from './commands/sign.js';
import { registerData } from './commands/data.js';
import { registerAttest } from './commands/attest.js';
import { registerModelCommands } from './commands/model.js';
import { registerDatasetCommands } from './commands/dataset.js';
import { registerTrust } from './commands/trust.js';
import { registerUsers } from './commands/users.js';
import { registerIncident } from './commands/incident.js';
import { registerDiscover } from './commands/discover.js';
import { readEnv, type Env } from './env.js';
import { processIo, type Io } from './io.js';
import { VERSION } from './version.js';

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
      code = await runScan(paths, flags, io, env);
    });

  const setCode = (c: number): void => {
    code = c;
  };
  registerAudit(program, io, env, setCode);
  registerApiKeys(program, io, env, setCode);
  registerGuard(program, io, env, setCode);
  registerServe(program, io, env, setCode, untilSignal);
  registerSign(program, io, env, setCode);
  registerData(program, io, env, setCode);
  registerAttest(program, io, env, setCode);
  registerModelCommands(program, io, env, setCode);
  registerDatasetCommands(program, io, env, setCode);
  registerTrust(program, io, env, setCode);
  registerUsers(program, io, env, setCode);
  registerIncident(program, io, env, setCode);
  registerDiscover(program, io, env, setCode);

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
