import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { initHome } from '../../src/core/home.js';
import { loadHomeKeys, logKeyId, rawEd25519 } from '../../src/core/keys.js';
import { tempDir } from '../support/tmp.js';

describe('home keys', () => {
  it('palisade init creates the log key pair and the digest secret, private files 0600, and keeps them on re-run', () => {
    const home = join(tempDir(), '.palisade');
    initHome(home);
    const mode = (name: string): number => statSync(join(home, 'keys', name)).mode & 0o777;
    expect(mode('log.ed25519')).toBe(0o600);
    expect(mode('digest.secret')).toBe(0o600);
    expect(statSync(join(home, 'keys')).mode & 0o777).toBe(0o700);
    const before = readFileSync(join(home, 'keys', 'log.ed25519'), 'utf8');
    initHome(home);
    expect(readFileSync(join(home, 'keys', 'log.ed25519'), 'utf8')).toBe(before);
    const keys = loadHomeKeys(home);
    const sig = sign(null, Buffer.from('x'), keys.logPrivate);
    expect(verify(null, Buffer.from('x'), keys.logPublic, sig)).toBe(true);
    expect(rawEd25519(keys.logPublic)).toHaveLength(32);
    expect(logKeyId(keys.logPublic)).toMatch(/^[0-9a-f]{8}$/);
    expect(keys.digestSecret).toHaveLength(32);
  });

  it('refuses a private key that other users can read, and names a missing key', () => {
    const home = join(tempDir(), '.palisade');
    initHome(home);
    chmodSync(join(home, 'keys', 'log.ed25519'), 0o644);
    expect(() => loadHomeKeys(home)).toThrow(/readable by other users/);
    expect(() => loadHomeKeys(join(tempDir(), 'none'))).toThrow(/run palisade init/);
  });
});
