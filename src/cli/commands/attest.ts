import { createPublicKey } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import { parseManifest } from '../../data/index.js';
import { modelName, serializeModel } from '../../hashing/index.js';
import { gitHead, keyHint, provenanceStatement, publicKeyFrom, signStatement, verifyAttestation, type ResourceDescriptor, type TrainingRun } from '../../sign/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { recordIfHome } from '../record.js';
import { readInput, readPrivateKey, shown, writeOutput } from './sign.js';

interface Common {
  json?: boolean;
  record?: boolean;
  config?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** `k=v` hyper-parameters; values that are JSON numbers, booleans or null are kept as such, the rest as strings. */
function parameters(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CoreError('CORE_USAGE', `--param must be key=value, not '${p}'`);
    const v = p.slice(i + 1);
    let value: unknown = v;
    if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(v)) value = JSON.parse(v);
    out[p.slice(0, i)] = value;
  }
  return out;
}

/** The OMS files-method root digest of a folder or file, with the given ignores. */
const digestOf = async (path: string, ignorePaths: readonly string[] = [], exclude: readonly string[] = []): Promise<string> => (await serializeModel(path, { ignorePaths, exclude })).rootDigest;

/** `palisade attest create` and `palisade attest verify`: SLSA provenance v1 for a training run. */
export function registerAttest(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const attest = program.command('attest').description('training-run provenance: a signed in-toto statement with an SLSA provenance v1 predicate');

  attest
    .command('create')
    .description('attest that a model was trained from these datasets, code and parameters')
    .requiredOption('--model <dir>', 'the trained model (folder or file): the subject, by its OMS root digest')
    .option('--dataset <manifest>', 'a dataset manifest (palisade data snapshot); repeatable', collect, [])
    .option('--code <commit-or-dir>', 'the training code: a git commit, or a folder (hashed; its git HEAD is read too)')
    .option('--code-uri <uri>', 'where the code lives, e.g. git+https://github.com/org/repo@refs/heads/main')
    .option('--base-model <dir>', 'the model fine-tuned from (folder or file)')
    .option('--param <k=v>', 'a hyper-parameter; repeatable', collect, [])
    .option('--ignore <path>', 'leave this path of the model out of its digest; repeatable', collect, [])
    .option('--builder-id <uri>', 'who ran the training (SLSA builder id)')
    .requiredOption('--key <file>', 'PEM private key (ECDSA P-256, P-384 or P-521)')
    .option('--out <file>', 'where to write the attestation', 'training.attestation.json')
    .option('--json', 'print the statement and where it went as JSON')
    .option('--no-record', 'do not record in the audit log (recorded when a home exists)')
    .option('--config <file>', 'config file (for the audit log)')
    .action(async (f: Common & { model: string; dataset: string[]; code?: string; codeUri?: string; baseModel?: string; param: string[]; ignore: string[]; builderId?: string; key: string; out: string }) => {
      const privateKey = readPrivateKey(io, f.key);
      const params = parameters(f.param);
      const model = resolve(io.cwd, f.model);
      const out = resolve(io.cwd, f.out);
      const m = await serializeModel(model, { ignorePaths: f.ignore, exclude: [out] });
      const datasets = f.dataset.map((file) => {
        const man = parseManifest(readInput(io, file, 'dataset manifest').toString('utf8'));
        return { name: man.name, rootDigest: man.rootDigest, ignorePaths: man.ignorePaths };
      });
      let code: TrainingRun['code'];
      if (f.code !== undefined) {
        if (COMMIT.test(f.code)) code = { uri: f.codeUri ?? 'git', gitCommit: f.code };
        else {
          const dir = resolve(io.cwd, f.code);
          const commit = gitHead(dir);
          code = { uri: f.codeUri ?? `file:${basename(dir)}`, sha256: await digestOf(dir), ...(commit === undefined ? {} : { gitCommit: commit }) };
        }
      }
      const run: TrainingRun = {
        model: { name: modelName(model), rootDigest: m.rootDigest, ignorePaths: m.params.ignorePaths },
        datasets,
        ...(code === undefined ? {} : { code }),
        ...(f.baseModel === undefined ? {} : { baseModel: { name: modelName(resolve(io.cwd, f.baseModel)), rootDigest: await digestOf(resolve(io.cwd, f.baseModel)) } }),
        parameters: params,
        ...(f.builderId === undefined ? {} : { builderId: f.builderId }),
      };
      const statement = provenanceStatement(run);
      writeOutput(out, JSON.stringify(signStatement(statement, privateKey, { hint: keyHint(createPublicKey(privateKey)) }), null, 2) + '\n', 'attestation');
      const shownModel = shown(io.cwd, model);
      io.stdout(f.json === true ? JSON.stringify({ attestation: shown(io.cwd, out), statement }, null, 2) + '\n' : `attested ${shownModel} (root digest ${m.rootDigest}) from ${datasets.length} datasets${code === undefined ? '' : ' and code'}\nwrote ${shown(io.cwd, out)}\n`);
      await recordIfHome(io, env, f, [model], (actor) => [{ type: 'attest.created', actor, subject: `path:${shownModel}`, data: { rootDigest: m.rootDigest, datasets: datasets.map((d) => d.rootDigest), ...(code?.gitCommit === undefined ? {} : { gitCommit: code.gitCommit }), attestation: shown(io.cwd, out) } }]);
      setCode(0);
    });

  attest
    .command('verify')
    .description('check an attestation\'s signature, then the model, datasets and code on disk against it')
    .argument('<attestation>', 'the attestation file')
    .requiredOption('--key <file>', 'the signer\'s PEM public key')
    .option('--model <dir>', 'the model to check against the subject')
    .option('--dataset <dir>', 'a dataset folder to check (matched by name: its folder name, or name=dir); repeatable', collect, [])
    .option('--code <commit-or-dir>', 'the code to check: a commit, or a folder')
    .option('--base-model <dir>', 'the base model to check')
    .option('--json', 'print the report as JSON')
    .option('--no-record', 'do not record in the audit log (recorded when a home exists)')
    .option('--config <file>', 'config file (for the audit log)')
    .action(async (file: string, f: Common & { key: string; model?: string; dataset: string[]; code?: string; baseModel?: string }) => {
      const publicKey = publicKeyFrom(readInput(io, f.key, 'key'), f.key);
      const att = resolve(io.cwd, file);
      const r = verifyAttestation(readInput(io, file, 'attestation'), publicKey);
      const checks: { what: string; ok: boolean; detail: string }[] = [];
      const notChecked: string[] = [];
      if (r.ok) {
        const p = r.provenance;
        const cmp = (what: string, want: string | undefined, got: string): void => void checks.push({ what, ok: want === got, detail: want === got ? got : `attested ${want ?? '(none)'}, found ${got}` });
        const ignores = (d: ResourceDescriptor): string[] => (Array.isArray(d.annotations?.ignorePaths) ? (d.annotations.ignorePaths as string[]) : []);
        if (f.model !== undefined) cmp(`model ${f.model}`, p.subject.digest.sha256, await digestOf(resolve(io.cwd, f.model), ignores(p.subject), [att]));
        else notChecked.push(`the model (${p.subject.name}): pass --model`);
        const given = new Map(f.dataset.map((d) => (d.includes('=') ? [d.slice(0, d.indexOf('=')), d.slice(d.indexOf('=') + 1)] : [basename(resolve(io.cwd, d)), d])));
        for (const d of p.datasets) {
          const dir = given.get(d.name);
          if (dir === undefined) notChecked.push(`dataset ${d.name}: pass --dataset`);
          else cmp(`dataset ${d.name}`, d.digest.sha256, await digestOf(resolve(io.cwd, dir), ignores(d)));
          given.delete(d.name);
        }
        for (const name of given.keys()) checks.push({ what: `dataset ${name}`, ok: false, detail: 'not among the attested datasets' });
        if (f.code !== undefined) {
          if (COMMIT.test(f.code)) cmp('code commit', p.code?.digest.gitCommit, f.code);
          else cmp(`code ${f.code}`, p.code?.digest.sha256, await digestOf(resolve(io.cwd, f.code)));
        } else if (p.code !== undefined) notChecked.push('the code: pass --code');
        if (f.baseModel !== undefined) cmp(`base model ${f.baseModel}`, p.baseModel?.digest.sha256, await digestOf(resolve(io.cwd, f.baseModel)));
        else if (p.baseModel !== undefined) notChecked.push('the base model: pass --base-model');
      }
      const ok = r.ok && checks.every((c) => c.ok);
      const report = { ok, ...(r.ok ? { parameters: r.provenance.parameters, builderId: r.provenance.builderId } : { reason: r.reason }), checks, notChecked };
      const lines = [ok ? `VERIFIED ${shown(io.cwd, att)}: signature and ${checks.length} on-disk checks` : `FAILED ${shown(io.cwd, att)}: ${r.ok ? 'what is on disk does not match the attestation' : r.reason}`];
      for (const c of checks) lines.push(`  ${c.ok ? 'ok' : 'MISMATCH'}: ${c.what}: ${c.detail}`);
      for (const n of notChecked) lines.push(`  not checked: ${n}`);
      io.stdout(f.json === true ? JSON.stringify(report, null, 2) + '\n' : lines.join('\n') + '\n');
      await recordIfHome(io, env, f, [], (actor) => [{ type: 'attest.verified', actor, subject: `path:${shown(io.cwd, att)}`, data: { ok, checks: checks.length, failed: checks.filter((c) => !c.ok).map((c) => c.what), ...(r.ok ? {} : { reason: r.reason }) } }]);
      setCode(ok ? 0 : 1);
    });
}
