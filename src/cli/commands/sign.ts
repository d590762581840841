import { generateKeyPairSync, type KeyObject, type X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import type { HashType } from '../../hashing/index.js';
import { certificatesFromPem, curveName, keyHint, NAMED_CURVES, privateKeyFrom, publicKeyFrom, SignError, signModel, spkiPem, verifyModel, type Curve, type KeylessPolicy, type VerifyReport } from '../../sign/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { byteProgress } from '../progress.js';
import { recordIfHome } from '../record.js';

interface Common {
  json?: boolean;
  progress?: boolean;
  record?: boolean;
  config?: string;
  threads?: string;
}

export interface SignFlags extends Common {
  key: string;
  signature: string;
  ignore: string[];
  shardSize?: string;
  hash: string;
  method: string;
  certificate?: string;
  chain: string[];
  allowSymlinks?: boolean;
}

export interface VerifyFlags extends Common {
  signature: string;
  key?: string;
  certificateChain?: string[];
  ignore: string[];
  at?: string;
  trustRoot?: string;
  identity?: string;
  issuer?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Reads a file the user named, as a usage error (exit 2) when it cannot be read. */
export function readInput(io: Io, file: string, what: string): Buffer {
  try {
    return readFileSync(resolve(io.cwd, file));
  } catch (err) {
    throw new CoreError('CORE_USAGE', `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** Writes a file the user named, as a usage error (exit 2) when it cannot be written. */
export function writeOutput(path: string, data: string, what: string, options: { mode?: number; flag?: string } = {}): void {
  try {
    writeFileSync(path, data, options);
  } catch (err) {
    throw new CoreError('CORE_USAGE', `cannot write ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Reads a private key, warning when other users can read the file (it is not refused: it may be a mounted secret). */
export function readPrivateKey(io: Io, file: string): KeyObject {
  const key = privateKeyFrom(readInput(io, file, 'key'), file);
  if ((statSync(resolve(io.cwd, file)).mode & 0o077) !== 0) io.stderr(`palisade: warning: private key ${file} can be read by other users: chmod 600 it\n`);
  return key;
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function shown(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

export function threadsFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CoreError('CORE_USAGE', `--threads must be a whole number from 1 to 1024, not '${v}'`);
  return n;
}

/** `palisade keygen`, `palisade sign` and `palisade verify`: OpenSSF Model Signing (OMS) signatures. */
export function registerSign(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  program
    .command('keygen')
    .description('make an ECDSA key pair for signing models: PREFIX (private, mode 0600) and PREFIX.pub, both PEM')
    .option('--out <prefix>', 'where to write the keys', 'palisade-signing-key')
    .option('--curve <curve>', 'p256 | p384 | p521', 'p256')
    .option('--json', 'print what was written as JSON')
    .action((f: { out: string; curve: string; json?: boolean }) => {
      if (!(f.curve in NAMED_CURVES)) throw new CoreError('CORE_USAGE', `--curve must be p256, p384 or p521, not '${f.curve}'`);
      const priv = resolve(io.cwd, f.out);
      const pub = `${priv}.pub`;
      for (const p of [priv, pub]) if (existsSync(p)) throw new CoreError('CORE_USAGE', `${p} exists: keys are never overwritten; choose another --out or remove it`);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: NAMED_CURVES[f.curve as Curve] });
      writeOutput(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'private key', { mode: 0o600, flag: 'wx' });
      writeOutput(pub, spkiPem(publicKey), 'public key', { mode: 0o644, flag: 'wx' });
      const out = { privateKey: shown(io.cwd, priv), publicKey: shown(io.cwd, pub), curve: f.curve, hint: keyHint(publicKey) };
      io.stdout(f.json === true ? JSON.stringify(out, null, 2) + '\n' : `wrote ${out.privateKey} (private, mode 0600) and ${out.publicKey}\nkey hint ${out.hint}\n`);
      setCode(0);
    });

  program
    .command('sign')
    .description('sign a model folder or file: an OMS v1.0 signature (Sigstore bundle v0.3, DSSE, in-toto statement)')
    .argument('<model>', 'model folder or file')
    .requiredOption('--key <file>', 'PEM private key (ECDSA P-256, P-384 or P-521; palisade keygen)')
    .option('--signature <file>', 'where to write the signature', 'model.sig')
    .option('--ignore <path>', 'leave this path (relative to the model) out; repeatable', collect, [])
    .option('--shard-size <bytes>', 'hash files in shards of this many bytes (one big file then uses every core)')
    .option('--hash <type>', 'sha256 | blake2b', 'sha256')
    .option('--method <method>', 'key | certificate', 'key')
    .option('--certificate <file>', 'certificate method: the signing certificate (PEM) for the key')
    .option('--chain <file>', 'certificate method: intermediate certificates (PEM); repeatable', collect, [])
    .option('--allow-symlinks', 'hash what links to files point at, under the link names (default: a link is an error)')
    .option('--threads <n>', 'hashing threads (default: one per core)')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bar')
    .option('--no-record', 'do not record the signature in the audit log (recorded when a home exists)')
    .option('--config <file>', 'config file (for the audit log)')
    .action(async (model: string, f: SignFlags) => setCode(await runSign(model, f, io, env)));

  program
    .command('verify')
    .description('verify a model against its OMS signature; exit 1 naming every modified, added or removed file')
    .argument('<model>', 'model folder or file')
    .option('--signature <file>', 'the signature', 'model.sig')
    .option('--key <file>', 'key method: the signer\'s PEM public key')
    .option('--certificate-chain <files...>', 'certificate method: PEM certificates you trust (root or intermediate)')
    .option('--ignore <path>', 'also leave this path out (on top of those the signature records); repeatable', collect, [])
    .option('--trust-root <file>', 'keyless (Sigstore) signatures: a trusted_root.json; with --identity and --issuer, verifies fully offline')
    .option('--identity <id>', 'keyless: the signer identity the certificate must name (e-mail or URI, exact)')
    .option('--issuer <url>', 'keyless: the OIDC issuer the certificate must name (exact)')
    .option('--at <time>', 'certificate method: check the chain at this time (RFC 3339, or now); default: the signing certificate\'s notBefore, as the reference does')
    .option('--threads <n>', 'hashing threads (default: one per core)')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .option('--no-record', 'do not record the result in the audit log (recorded when a home exists)')
    .option('--config <file>', 'config file (for the audit log)')
    .action(async (model: string, f: VerifyFlags) => setCode(await runVerify(model, f, io, env)));
}

async function runSign(model: string, f: SignFlags, io: Io, env: Env): Promise<number> {
  if (f.hash !== 'sha256' && f.hash !== 'blake2b') throw new CoreError('CORE_USAGE', `--hash must be sha256 or blake2b, not '${f.hash}'`);
  if (f.method !== 'key' && f.method !== 'certificate') throw new CoreError('CORE_USAGE', `--method must be key or certificate, not '${f.method}'`);
  if (f.method === 'certificate' && f.certificate === undefined) throw new CoreError('CORE_USAGE', '--method certificate needs --certificate LEAF.pem (and --chain for intermediates)');
  if (f.method === 'key' && (f.certificate !== undefined || f.chain.length > 0)) throw new CoreError('CORE_USAGE', '--certificate and --chain go with --method certificate');
  let shardSize: number | undefined;
  if (f.shardSize !== undefined) {
    shardSize = Number(f.shardSize);
    if (!/^\d+$/.test(f.shardSize) || !Number.isSafeInteger(shardSize) || shardSize < 1) throw new CoreError('CORE_USAGE', `--shard-size must be a whole number of bytes above 0, not '${f.shardSize}'`);
  }
  const threads = threadsFlag(f.threads);
  const privateKey = readPrivateKey(io, f.key);
  let certificates: X509Certificate[] | undefined;
  if (f.method === 'certificate') {
    certificates = certificatesFromPem(readInput(io, f.certificate!, 'certificate').toString('utf8'), f.certificate!).slice(0, 1);
    for (const c of f.chain) certificates.push(...certificatesFromPem(readInput(io, c, 'chain').toString('utf8'), c));
  }
  const target = resolve(io.cwd, model);
  const sigPath = resolve(io.cwd, f.signature);
  const bar = byteProgress(io, f.progress, 'hashing');
  const started = performance.now();
  let signed;
  try {
    signed = await signModel(target, {
      privateKey,
      ...(certificates === undefined ? {} : { certificates }),
      signaturePath: sigPath,
      method: shardSize === undefined ? 'files' : 'shards',
      ...(shardSize === undefined ? {} : { shardSize }),
      hashType: f.hash as HashType,
      ignorePaths: f.ignore,
      allowSymlinks: f.allowSymlinks === true,
      ...(threads === undefined ? {} : { threads }),
      onListed: bar.onListed,
      onBytes: bar.onBytes,
    });
  } finally {
    bar.stop();
  }
  writeOutput(sigPath, JSON.stringify(signed.bundle, null, 2) + '\n', 'signature');
  const s = signed.serialized;
  const seconds = (performance.now() - started) / 1000;
  const out = {
    model: shown(io.cwd, target),
    signature: shown(io.cwd, sigPath),
    method: f.method,
    curve: curveName(privateKey),
    serialization: s.params.method,
    ...(s.params.shardSize === undefined ? {} : { shardSize: s.params.shardSize }),
    hashType: s.params.hashType,
    rootDigest: s.rootDigest,
    files: s.listing.files.length,
    resources: s.resources.length,
    bytes: s.bytes,
    ignorePaths: s.params.ignorePaths,
    seconds: Math.round(seconds * 1000) / 1000,
  };
  io.stdout(f.json === true ? JSON.stringify(out, null, 2) + '\n' : `signed ${out.model}: ${out.files} files, ${out.bytes} bytes (${out.serialization}, ${out.hashType}) in ${out.seconds} s\nroot digest ${out.rootDigest}\nwrote ${out.signature}\n`);
  await recordIfHome(io, env, f, [target], (actor) => [
    { type: 'model.signed', actor, subject: `path:${out.model}`, data: { method: out.method, curve: out.curve, serialization: out.serialization, hashType: out.hashType, rootDigest: out.rootDigest, files: out.files, bytes: out.bytes, signature: out.signature } },
  ]);
  return 0;
}

async function runVerify(model: string, f: VerifyFlags, io: Io, env: Env): Promise<number> {
  if (f.key !== undefined && f.certificateChain !== undefined) throw new CoreError('CORE_USAGE', 'give --key or --certificate-chain, not both');
  const threads = threadsFlag(f.threads);
  let at: Date | undefined;
  if (f.at !== undefined) {
    at = f.at === 'now' ? new Date() : new Date(f.at);
    if (Number.isNaN(at.getTime())) throw new CoreError('CORE_USAGE', `--at must be an RFC 3339 time or 'now', not '${f.at}'`);
  }
  const keylessFlags = [f.trustRoot, f.identity, f.issuer].filter((x) => x !== undefined).length;
  if (keylessFlags !== 0 && keylessFlags !== 3) throw new CoreError('CORE_USAGE', '--trust-root, --identity and --issuer go together: a trust root without a required signer would accept anyone Sigstore certified');
  let keyless: KeylessPolicy | undefined;
  if (f.trustRoot !== undefined) {
    let trustedRoot: unknown;
    try {
      trustedRoot = JSON.parse(readInput(io, f.trustRoot, 'trust root').toString('utf8'));
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new SignError('SIGN_TRUST_ROOT_INVALID', `trust root ${f.trustRoot} is not JSON: ${(err as Error).message}`);
    }
    keyless = { trustedRoot, identity: f.identity!, issuer: f.issuer! };
  }
  const publicKey: KeyObject | undefined = f.key === undefined ? undefined : publicKeyFrom(readInput(io, f.key, 'key'), f.key);
  const trustAnchors = f.certificateChain?.flatMap((c) => certificatesFromPem(readInput(io, c, 'certificate chain').toString('utf8'), c));
  const target = resolve(io.cwd, model);
  const sigPath = resolve(io.cwd, f.signature);
  const bundle = readInput(io, f.signature, 'signature');
  const bar = byteProgress(io, f.progress, 'verifying');
  let report: VerifyReport;
  try {
    report = await verifyModel(target, bundle, {
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(trustAnchors === undefined ? {} : { trustAnchors }),
      ...(at === undefined ? {} : { at }),
      ...(keyless === undefined ? {} : { keyless }),
      signaturePath: sigPath,
      ignorePaths: f.ignore,
      ...(threads === undefined ? {} : { threads }),
      onListed: bar.onListed,
      onBytes: bar.onBytes,
    });
  } finally {
    bar.stop();
  }
  const name = shown(io.cwd, target);
  io.stdout(f.json === true ? JSON.stringify({ model: name, signature: shown(io.cwd, sigPath), ...report }, null, 2) + '\n' : verifyText(name, report));
  await recordIfHome(io, env, f, [target], (actor) => [
    {
      type: 'model.verified',
      actor,
      subject: `path:${name}`,
      data: {
        status: report.status,
        method: report.method,
        ...(report.rootDigest === undefined ? {} : { rootDigest: report.rootDigest }),
        ...(report.reason === undefined ? {} : { reason: report.reason }),
        ...(report.diff === undefined ? {} : { modified: report.diff.modified.length, added: report.diff.added.length, removed: report.diff.removed.length }),
        signature: shown(io.cwd, sigPath),
      },
    },
  ]);
  return report.status === 'verified' ? 0 : 1;
}

function verifyText(name: string, r: VerifyReport): string {
  const lines: string[] = [];
  if (r.status === 'verified') lines.push(`VERIFIED ${name} (${r.method}${r.legacy ? ', legacy v0.2 format' : ''}): ${r.files} files, ${r.bytes} bytes`);
  else if (r.status === 'incomplete') lines.push(`NOT FULLY VERIFIED ${name} (${r.method}): what could be checked holds, but some checks could not be made`);
  else lines.push(`FAILED ${name} (${r.method}): ${r.reason}`);
  if (r.diff !== undefined) for (const k of ['modified', 'added', 'removed'] as const) for (const p of r.diff[k]) lines.push(`  ${k}: ${p}`);
  if (r.rootDigest !== undefined) lines.push(`root digest ${r.rootDigest}`);
  for (const c of r.checked) lines.push(`  ok: ${c}`);
  for (const u of r.unchecked) lines.push(`  not checked: ${u}`);
  return lines.join('\n') + '\n';
}
