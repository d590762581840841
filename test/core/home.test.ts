import { chmodSync, chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHome, findHome, initHome } from '../../src/core/home.js';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('home', () => {
  it('is found by walking up from the working directory, like .git', () => {
    const d = tempDir();
    initHome(join(d, '.palisade'));
    mkdirSync(join(d, 'a', 'b'), { recursive: true });
    expect(findHome(join(d, 'a', 'b'))).toBe(join(d, '.palisade'));
    expect(findHome(join(d, 'a'), '/elsewhere/home')).toBe('/elsewhere/home');
  });

  it('palisade init creates config.yaml and a .gitignore of *, and is safe to re-run', async () => {
    const d = tempDir();
    const first = await run(['init'], { cwd: d });
    expect(first.code).toBe(0);
    expect(readFileSync(join(d, '.palisade', '.gitignore'), 'utf8')).toBe('*\n');
    expect(readFileSync(join(d, '.palisade', 'config.yaml'), 'utf8')).toContain('failOn: suspicious');
    expect(statSync(join(d, '.palisade')).mode & 0o777).toBe(0o700);
    const again = await run(['init', '--json'], { cwd: d });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).created).toEqual([]);
  });

  it('honours PALISADE_HOME as the home folder itself', async () => {
    const d = tempDir();
    const r = await run(['init'], { cwd: d, env: { home: join(d, 'custom') } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(d, 'custom', 'config.yaml'), 'utf8')).toContain('version: 1');
  });

  // Only root can give a folder away; the refusal itself does not depend on who runs the test.
  it.runIf(process.getuid?.() === 0)('refuses a home owned by another user', () => {
    const d = tempDir();
    initHome(join(d, '.palisade'));
    chownSync(join(d, '.palisade'), 65534, 65534);
    expect(() => checkHome(join(d, '.palisade'))).toThrow(/owned by uid 65534/);
  });

  it('refuses a home that every user can write', async () => {
    const d = tempDir();
    initHome(join(d, '.palisade'));
    chmodSync(join(d, '.palisade'), 0o777);
    expect(() => checkHome(join(d, '.palisade'))).toThrow(/writable by every user/);
    const r = await run(['scan', '/dev/null'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to use it');
  });
});
