import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import { OPERATIONS } from '../../control/operations.js';
import type { VersionView } from '../../control/ops-registry.js';
import { cardJsonSchema, parseCard, parseRef, registerModel } from '../../registry/index.js';
import { controlAction, invoke, localOnly, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import { emit as writeOut, type Io } from '../io.js';
import { byteProgress } from '../progress.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

const summary = (v: VersionView): string => {
  const f = v.findings;
  const lines = [
    `${v.kind} ${v.name}@${v.version}  root digest ${v.rootDigest}  ${v.state}${v.copied ? '  (copied into the home store)' : ''}`,
    `  path: ${v.path}`,
    ...(v.endpoint === undefined ? [] : [`  endpoint: ${v.endpoint}`]),
    `  registered by ${v.registrant} at ${v.registeredAt}`,
  ];
  if (f.scan !== undefined) lines.push(`  scan: ${f.scan.verdict} (${f.scan.files} files${f.scan.findings.length > 0 ? `; ${f.scan.findings.slice(0, 5).map((x) => x.rule).join(', ')}` : ''})`);
  if (f.signature !== undefined) lines.push(`  signature: ${f.signature.status}${f.signature.signer === undefined ? '' : ` by ${f.signature.signer}`}${f.signature.reason === undefined ? '' : ` (${f.signature.reason})`}`);
  if (f.attestation !== undefined) lines.push(`  attestation: ${f.attestation.status}${f.attestation.reason === undefined ? '' : ` (${f.attestation.reason})`}`);
  if (f.cardMissing !== undefined) lines.push(`  card: ${f.cardMissing.length === 0 ? 'complete' : `missing ${f.cardMissing.join(', ')}`}`);
  return lines.join('\n') + '\n';
};

type Flags = StoreFlags;

/** `palisade model …`: register, cards, promotion through the gates, reviews, aliases, history and rollback. */
export function registerModelCommands(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const model = program.command('model').description('the model registry: versions by digest, cards, gates, reviews, aliases, rollback');
  const local = registryAction(io, env, setCode);
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.model;

  storeOptions(model.command('register').description('register a model version: digest, scan, signature, attestation and card checks'))
    .argument('<path>', 'model folder or file')
    .requiredOption('--name <name>', 'model name')
    .requiredOption('--version <version>', 'version (immutable once registered)')
    .option('--card <file>', 'model card (YAML or JSON; palisade model card --schema)')
    .option('--signature <file>', 'OMS signature bundle (palisade sign)')
    .option('--attestation <file>', 'training attestation (palisade attest create)')
    .option('--endpoint <url>', 'where this version is served (OpenAI-compatible base URL)')
    .option('--copy', "copy the model into the home's content-addressed store")
    .option('--no-progress', 'no progress bar')
    .action((path: string, f: Flags & { name: string; version: string; card?: string; signature?: string; attestation?: string; endpoint?: string; copy?: boolean; progress?: boolean }) => {
      localOnly(env, 'model register', 'it reads and hashes the files here; register on the server\'s host, or here against its store (--store postgres://…)');
      return local(f, async (deps, rt) => {
        const bar = byteProgress(io, f.progress, 'hashing');
        const file = (p: string | undefined, what: string): { text: string; path: string } | undefined => (p === undefined ? undefined : { text: readInput(io, p, what).toString('utf8'), path: resolve(io.cwd, p) });
        const card = file(f.card, 'model card');
        const v = await registerModel(deps, rt.principal, {
          path: resolve(io.cwd, path),
          name: f.name,
          version: f.version,
          ...(card === undefined ? {} : { card: parseCard(card.text), cardPath: card.path }),
          ...(f.signature === undefined ? {} : { signature: file(f.signature, 'signature')! }),
          ...(f.attestation === undefined ? {} : { attestation: file(f.attestation, 'attestation')! }),
          ...(f.endpoint === undefined ? {} : { endpoint: f.endpoint }),
          copy: f.copy === true,
          allow: rt.config.scan.allow,
          onListed: bar.onListed,
          onBytes: bar.onBytes,
        }).finally(() => bar.stop());
        const shown = { ...v, signature: v.signature !== null, attestation: v.attestation !== null };
        out(io, f.json, shown, `registered ${summary(shown)}`);
        return 0;
      });
    });

  storeOptions(model.command('card').description("print the card schema, or export a version's card"))
    .argument('[ref]', 'NAME@VERSION')
    .option('--schema', "print the model card's JSON Schema")
    .option('--export <format>', 'cyclonedx | huggingface | markdown', 'markdown')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--server <url>', 'act on this palisade serve control plane as the user in PALISADE_TOKEN (default: $PALISADE_SERVER)')
    .action(async (ref: string | undefined, f: Flags & { schema?: boolean; export: string; output?: string }) => {
      if (f.schema === true) {
        writeOut(io, JSON.stringify(cardJsonSchema(), null, 2) + '\n', f.output);
        setCode(0);
        return;
      }
      if (ref === undefined) throw new CoreError('CORE_USAGE', 'name a version (palisade model card NAME@VERSION --export cyclonedx) or pass --schema');
      const format = f.export;
      if (format !== 'cyclonedx' && format !== 'huggingface' && format !== 'markdown') throw new CoreError('CORE_USAGE', `--export must be cyclonedx, huggingface or markdown, not '${format}'`);
      const { name, at } = parseRef(ref);
      const r = await invoke(io, env, f, ops.card, { name, version: at, format });
      writeOut(io, r.text, f.output);
      setCode(0);
    });

  remoteOptions(model.command('list').description('registered versions and aliases'))
    .argument('[name]', 'one model')
    .action((name: string | undefined, f: Flags) =>
      act(f, ops.list, { name }, (rows) => rows.map((v) => `${v.name}@${v.version}  ${v.state}  ${v.rootDigest.slice(0, 16)}…  ${v.aliases.map((a) => `@${a}`).join(' ')}`).join('\n')),
    );

  remoteOptions(model.command('show').description('one version: digest, checks from registration, state'))
    .argument('<ref>', 'NAME@VERSION or NAME@ALIAS')
    .action((ref: string, f: Flags) => act(f, ops.show, parseRef(ref), summary));

  remoteOptions(model.command('resolve').description('the version and endpoint an alias points to (what a gateway serves)'))
    .argument('<ref>', 'NAME@ALIAS')
    .action((ref: string, f: Flags) => {
      const { name, at } = parseRef(ref);
      return act(f, ops.resolve, { name, alias: at }, (r) => `${name}@${at} -> ${r.version}${r.endpoint === undefined ? '' : `  ${r.endpoint}`}`);
    });

  remoteOptions(model.command('promote').description('run every gate configured for the alias and move it only if all pass; exit 1 when blocked'))
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--to <alias>', 'the alias, e.g. staging or production')
    .option('--reason <text>', 'why (kept in the history)', 'promotion')
    .action((ref: string, f: Flags & { to: string; reason: string }) => {
      const { name, at } = parseRef(ref);
      return act(f, ops.promote, { name, version: at, to: f.to, reason: f.reason }, {
        text: (r) => {
          const lines = r.gates.map((g) => `  ${g.ok ? 'PASS' : 'FAIL'} ${g.gate}: ${g.reason}`);
          const head = r.promoted ? `PROMOTED ${ref} to ${f.to}${r.move?.from === undefined ? '' : ` (was ${r.move.from})`}` : `BLOCKED ${ref} -> ${f.to}: ${r.gates.filter((g) => !g.ok).map((g) => g.gate).join(', ')} failed`;
          return [head, ...lines].join('\n');
        },
        exit: (r) => (r.promoted ? 0 : 1),
      });
    });

  for (const decision of ['approve', 'reject'] as const) {
    remoteOptions(model.command(decision).description(decision === 'approve' ? 'approve a version as a security reviewer (never your own)' : 'reject a version; final for that version'))
      .argument('<ref>', 'NAME@VERSION')
      .requiredOption('--comment <text>', 'why')
      .action((ref: string, f: Flags & { comment: string }) => {
        const { name, at } = parseRef(ref);
        return act(f, ops[decision], { name, version: at, comment: f.comment }, (r) => `${decision === 'approve' ? 'approved' : 'rejected'} ${ref} (now ${r.state})`);
      });
  }

  remoteOptions(model.command('history').description("a model's registrations, gate results, reviews and alias moves, from the audit log"))
    .argument('<name>', 'model name')
    .action((name: string, f: Flags) => act(f, ops.history, { name }, (h) => h.map((e) => `#${e.index} ${e.time} ${e.type} ${e.actor} ${JSON.stringify(e.data)}`).join('\n')));

  remoteOptions(model.command('rollback').description('move an alias back to its last known good version'))
    .argument('<name>', 'model name')
    .option('--alias <alias>', 'which alias', 'production')
    .option('--reason <text>', 'why', 'rollback')
    .action((name: string, f: Flags & { alias: string; reason: string }) => act(f, ops.rollback, { name, alias: f.alias, reason: f.reason }, (m) => `rolled back ${name}@${f.alias}: ${m.from ?? '(none)'} -> ${m.to}`));

  remoteOptions(model.command('alias').description('point a non-protected alias at a version by hand (no gates)'))
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--to <alias>', 'the alias')
    .requiredOption('--reason <text>', 'why')
    .action((ref: string, f: Flags & { to: string; reason: string }) => {
      const { name, at } = parseRef(ref);
      return act(f, ops.alias, { name, alias: f.to, version: at, reason: f.reason }, (m) => `${name}@${f.to} -> ${m.to}${m.from === undefined ? '' : ` (was ${m.from})`}`);
    });
}
