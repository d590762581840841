import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import {
  cardJsonSchema,
  exportCyclonedx,
  getVersion,
  huggingfaceCard,
  listAliases,
  listVersions,
  markdownCard,
  missingCardFields,
  ModelCardSchema,
  modelHistory,
  parseCard,
  parseRef,
  promote,
  registerModel,
  resolveAlias,
  review,
  rollback,
  setAlias,
  RegistryError,
  type VersionRecord,
} from '../../registry/index.js';
import type { Env } from '../env.js';
import { emit as writeOut, type Io } from '../io.js';
import { byteProgress } from '../progress.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

const summary = (v: VersionRecord): string => {
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
  const act = registryAction(io, env, setCode);

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
    .action((path: string, f: Flags & { name: string; version: string; card?: string; signature?: string; attestation?: string; endpoint?: string; copy?: boolean; progress?: boolean }) =>
      act(f, async (deps, rt) => {
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
        out(io, f.json, { ...v, signature: v.signature !== null, attestation: v.attestation !== null }, `registered ${summary(v)}`);
        return 0;
      }),
    );

  storeOptions(model.command('card').description("print the card schema, or export a version's card"))
    .argument('[ref]', 'NAME@VERSION')
    .option('--schema', "print the model card's JSON Schema")
    .option('--export <format>', 'cyclonedx | huggingface | markdown', 'markdown')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (ref: string | undefined, f: Flags & { schema?: boolean; export: string; output?: string }) => {
      if (f.schema === true) {
        writeOut(io, JSON.stringify(cardJsonSchema(), null, 2) + '\n', f.output);
        setCode(0);
        return;
      }
      if (ref === undefined) throw new CoreError('CORE_USAGE', 'name a version (palisade model card NAME@VERSION --export cyclonedx) or pass --schema');
      if (!['cyclonedx', 'huggingface', 'markdown'].includes(f.export)) throw new CoreError('CORE_USAGE', `--export must be cyclonedx, huggingface or markdown, not '${f.export}'`);
      const { name, at } = parseRef(ref);
      await act(f, async (deps, rt) => {
        rt.authorize('read', { type: 'Model', id: name });
        const v = await getVersion(deps, 'model', name, at);
        const card = ModelCardSchema.safeParse(v.card);
        if (!card.success) throw new RegistryError('REGISTRY_EXPORT_INVALID', `${ref}'s card is incomplete (missing ${missingCardFields(v.card).join(', ')}); only a complete card is exported`);
        const subject = { name, version: at, rootDigest: v.rootDigest, card: card.data };
        const text = f.export === 'cyclonedx' ? JSON.stringify(exportCyclonedx(subject, randomUUID(), new Date()), null, 2) + '\n' : f.export === 'huggingface' ? huggingfaceCard(subject) : markdownCard(subject);
        writeOut(io, text, f.output);
        return 0;
      });
    });

  storeOptions(model.command('list').description('registered versions and aliases'))
    .argument('[name]', 'one model')
    .action((name: string | undefined, f: Flags) =>
      act(f, async (deps, rt) => {
        rt.authorize('read', { type: 'Model', id: name ?? '*' });
        const versions = await listVersions(deps, 'model', name);
        const names = [...new Set(versions.map((v) => v.name))];
        const aliases = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await listAliases(deps, n)] as const)));
        out(io, f.json, versions.map((v) => ({ name: v.name, version: v.version, rootDigest: v.rootDigest, state: v.state, endpoint: v.endpoint ?? null, aliases: aliases[v.name]!.filter((a) => a.version === v.version).map((a) => a.alias) })), versions.map((v) => `${v.name}@${v.version}  ${v.state}  ${v.rootDigest.slice(0, 16)}…  ${aliases[v.name]!.filter((a) => a.version === v.version).map((a) => `@${a.alias}`).join(' ')}`).join('\n'));
        return 0;
      }),
    );

  storeOptions(model.command('show').description('one version: digest, checks from registration, state'))
    .argument('<ref>', 'NAME@VERSION or NAME@ALIAS')
    .action((ref: string, f: Flags) =>
      act(f, async (deps, rt) => {
        const { name, at } = parseRef(ref);
        rt.authorize('read', { type: 'Model', id: name });
        const r = await resolveAlias(deps, name, at);
        const v = await getVersion(deps, 'model', name, r.version);
        out(io, f.json, { ...v, signature: v.signature !== null, attestation: v.attestation !== null }, summary(v));
        return 0;
      }),
    );

  storeOptions(model.command('resolve').description('the version and endpoint an alias points to (what a gateway serves)'))
    .argument('<ref>', 'NAME@ALIAS')
    .action((ref: string, f: Flags) =>
      act(f, async (deps, rt) => {
        const { name, at } = parseRef(ref);
        rt.authorize('read', { type: 'Model', id: name });
        const r = await resolveAlias(deps, name, at);
        out(io, f.json, r, `${name}@${at} -> ${r.version}${r.endpoint === undefined ? '' : `  ${r.endpoint}`}`);
        return 0;
      }),
    );

  storeOptions(model.command('promote').description('run every gate configured for the alias and move it only if all pass; exit 1 when blocked'))
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--to <alias>', 'the alias, e.g. staging or production')
    .option('--reason <text>', 'why (kept in the history)', 'promotion')
    .action((ref: string, f: Flags & { to: string; reason: string }) =>
      act(f, async (deps, rt) => {
        const { name, at } = parseRef(ref);
        const r = await promote(deps, rt.principal, name, at, f.to, f.reason);
        const lines = r.gates.map((g) => `  ${g.ok ? 'PASS' : 'FAIL'} ${g.gate}: ${g.reason}`);
        const head = r.promoted ? `PROMOTED ${ref} to ${f.to}${r.move?.from === undefined ? '' : ` (was ${r.move.from})`}` : `BLOCKED ${ref} -> ${f.to}: ${r.gates.filter((g) => !g.ok).map((g) => g.gate).join(', ')} failed`;
        out(io, f.json, r, [head, ...lines].join('\n'));
        return r.promoted ? 0 : 1;
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    storeOptions(model.command(decision).description(decision === 'approve' ? 'approve a version as a security reviewer (never your own)' : 'reject a version; final for that version'))
      .argument('<ref>', 'NAME@VERSION')
      .requiredOption('--comment <text>', 'why')
      .action((ref: string, f: Flags & { comment: string }) =>
        act(f, async (deps, rt) => {
          const { name, at } = parseRef(ref);
          const r = await review(deps, rt.principal, name, at, decision, f.comment);
          out(io, f.json, { name, version: at, decision, ...r }, `${decision === 'approve' ? 'approved' : 'rejected'} ${ref} (now ${r.state})`);
          return 0;
        }),
      );
  }

  storeOptions(model.command('history').description("a model's registrations, gate results, reviews and alias moves, from the audit log"))
    .argument('<name>', 'model name')
    .action((name: string, f: Flags) =>
      act(f, async (deps, rt) => {
        const h = await modelHistory(deps, rt.principal, name);
        out(io, f.json, h, h.map((e) => `#${e.index} ${e.time} ${e.type} ${e.actor} ${JSON.stringify(e.data)}`).join('\n'));
        return 0;
      }),
    );

  storeOptions(model.command('rollback').description('move an alias back to its last known good version'))
    .argument('<name>', 'model name')
    .option('--alias <alias>', 'which alias', 'production')
    .option('--reason <text>', 'why', 'rollback')
    .action((name: string, f: Flags & { alias: string; reason: string }) =>
      act(f, async (deps, rt) => {
        const m = await rollback(deps, rt.principal, name, f.alias, f.reason);
        out(io, f.json, m, `rolled back ${name}@${f.alias}: ${m.from ?? '(none)'} -> ${m.to}`);
        return 0;
      }),
    );

  storeOptions(model.command('alias').description('point a non-protected alias at a version by hand (no gates)'))
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--to <alias>', 'the alias')
    .requiredOption('--reason <text>', 'why')
    .action((ref: string, f: Flags & { to: string; reason: string }) =>
      act(f, async (deps, rt) => {
        const { name, at } = parseRef(ref);
        const m = await setAlias(deps, rt.principal, name, at, f.to, f.reason);
        out(io, f.json, m, `${name}@${f.to} -> ${m.to}${m.from === undefined ? '' : ` (was ${m.from})`}`);
        return 0;
      }),
    );
}
