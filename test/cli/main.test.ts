import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import { VERSION } from '../../src/cli/version.js';
import { run } from '../support/cli.js';

const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTTY: false, cwd: '.', readStdin: async () => '' };

describe('palisade: the command table', () => {
  it('names exactly the top-level commands each module registers, so a command runs with its own module loaded alone', async () => {
    for (const [names, load] of COMMANDS) {
      const program = new Command('palisade');
      (await load())(program, io, {}, () => undefined, () => new Promise(() => undefined));
      expect(program.commands.map((c) => c.name())).toEqual(names);
    }
  });

  it('lists every command in the help, in the order of the table, and prints the version', async () => {
    const help = await run(['--help'], { cwd: '.' });
    expect(help.code).toBe(0);
    const listed = [...help.stdout.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((n) => n !== '-V,' && n !== '-h,' && n !== 'help');
    expect(listed).toEqual(['init', 'scan', ...COMMANDS.flatMap(([names]) => names)]);
    const version = await run(['--version'], { cwd: '.' });
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('still suggests the command meant when one is mistyped, and exits 2', async () => {
    const r = await run(['serv'], { cwd: '.' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean serve\?/);
  });
});
