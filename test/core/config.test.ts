import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/core/config.js';
import { DEFAULT_CONFIG_YAML } from '../../src/core/config-schema.js';
import { CoreError } from '../../src/core/errors.js';
import { tempDir } from '../support/tmp.js';

describe('config', () => {
  it('applies defaults to an empty file and freezes the result', () => {
    const c = parseConfig('', 'c.yaml');
    expect(c).toMatchObject({ version: 1, scan: { allow: [], failOn: 'suspicious' }, store: {}, audit: { rawText: false, retentionDays: 30 }, listen: '127.0.0.1:8787', models: {}, guards: { input: [], output: [] } });
    expect(Object.isFrozen(c.scan)).toBe(true);
  });

  it('accepts the config palisade init writes, which spells out the defaults', () => {
    expect(parseConfig(DEFAULT_CONFIG_YAML, 'config.yaml')).toEqual(parseConfig('', 'c.yaml'));
  });

  it('names an unknown key and its line', () => {
    const text = 'version: 1\nscan:\n  allow: []\n  failon: unsafe\n';
    expect(() => parseConfig(text, 'c.yaml')).toThrow(/c\.yaml:4: unknown key 'scan\.failon'/);
    expect(() => parseConfig('bogus: 1\n', 'c.yaml')).toThrow(/c\.yaml:1: unknown key 'bogus'/);
  });

  it('takes a gateway model with a fixed upstream or one that follows a registry alias, naming the bad key', () => {
    const c = parseConfig('models:\n  fraud: { registry: fraud, canaryAlias: canary }\n  chat: { upstream: http://127.0.0.1:18080/v1 }\n', 'c.yaml');
    expect(c.models.fraud).toMatchObject({ registry: 'fraud', alias: 'production', canaryAlias: 'canary', retries: 0 });
    expect(c.models.chat).toMatchObject({ upstream: 'http://127.0.0.1:18080/v1' });
    const bad = (model: string): string => `models:\n  fraud:\n${model.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    expect(() => parseConfig(bad('registry: fraud\nwieght: 5'), 'c.yaml')).toThrow(/c\.yaml:4: unknown key 'models\.fraud\.wieght'/);
    expect(() => parseConfig(bad('upstream: http://a/v1\ncanaryAlias: canary'), 'c.yaml')).toThrow(/c\.yaml:4: unknown key 'models\.fraud\.canaryAlias'/);
    expect(() => parseConfig(bad('upstream: http://a/v1\nregistry: fraud'), 'c.yaml')).toThrow(/c\.yaml:2: 'models\.fraud': a model needs either upstream: URL .* or registry: NAME/);
    expect(() => parseConfig(bad('registry: fraud\nweight: 5'), 'c.yaml')).toThrow(/'models\.fraud\.weight': weight is the canary share: it needs a canaryAlias/);
    expect(() => parseConfig(bad('registry: fraud\ncanaryAlias: production'), 'c.yaml')).toThrow(/'models\.fraud\.canaryAlias': the canary alias must differ/);
    expect(() => parseConfig(bad('upstrem: http://a/v1'), 'c.yaml')).toThrow(/c\.yaml:3: unknown key 'models\.fraud\.upstrem'/);
    expect(() => parseConfig(bad('registry: Fraud!'), 'c.yaml')).toThrow(/'models\.fraud\.registry': expected a registered model name/);
  });

  it('names a bad value and its line', () => {
    expect(() => parseConfig('scan:\n  failOn: maybe\n', 'c.yaml')).toThrow(/c\.yaml:2: 'scan\.failOn'/);
    expect(() => parseConfig('scan:\n  allow: ["os system"]\n', 'c.yaml')).toThrow(/module\.name/);
  });

  it('reports YAML syntax errors with a line', () => {
    expect(() => parseConfig('scan: [\n', 'c.yaml')).toThrow(CoreError);
    expect(() => parseConfig('a: 1\na: 2\n', 'c.yaml')).toThrow(/c\.yaml:2/);
  });

  it('refuses a config file that every user can write', () => {
    const d = tempDir();
    const f = join(d, 'config.yaml');
    writeFileSync(f, 'version: 1\n');
    chmodSync(f, 0o666);
    expect(() => loadConfigFile(f)).toThrow(/writable by every user/);
    chmodSync(f, 0o600);
    expect(loadConfigFile(f).version).toBe(1);
  });

  it('says what is wrong when the file is missing', () => {
    expect(() => loadConfigFile('/nonexistent/config.yaml')).toThrow(/cannot read config/);
  });
});
