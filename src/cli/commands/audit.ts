import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { exportBundle, logKey, logVerifier, originOf, purgeRawText, verifyBundle, verifyLog, type EntryView } from '../../audit/index.js';
import { OPERATIONS } from '../../control/operations.js';
import { controlAction, localOnly, type RemoteFlags } from '../control.js';
import { CoreError } from '../../core/errors.js';
import { promoteNextLogKey, stageNextLogKey } from '../../core/keys.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { firstLogKey, intFlag, withRuntime, type StoreFlags } from '../runtime.js';

type Common = StoreFlags;
type Remote = RemoteFlags;
const int = intFlag;

function readPublicKey(io: Io, path: string): KeyObject {
  try {
    return createPublicKey(readFileSync(resolve(io.cwd, path)));
  } catch (err) {
    throw new CoreError('CORE_USAGE', `cannot read public key ${path}: ${(err as Error).message}`);
  }
}

const print = (io: Io, json: boolean | undefined, value: object, text: string): void => io.stdout(json === true ? JSON.stringify(value, null, 2) + '\n' : text);

/** `palisade audit …`: record, read, prove and verify the tamper-evident log. */
export function registerAudit(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const audit = program.command('audit').description('the append-only, tamper-evident record (RFC 9162 Merkle log, signed checkpoints)');
  const common = (c: Command): Command => c.option('--json', 'print JSON').option('--config <file>', 'config file').option('--store <url>', 'postgres://… or a SQLite file (default: the config, then <home>/palisade.db)');
  const remote = (c: Command): Command => common(c).option('--server <url>', 'act on this palisade serve control plane as the user in PALISADE_TOKEN (default: $PALISADE_SERVER)');
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.audit;
  const local = (what: string): void => localOnly(env, `audit ${what}`, 'run it on the server\'s host');

  remote(audit.command('record').description('append one event; prints its index and leaf hash'))
    .requiredOption('--type <type>', 'event type, e.g. audit.note (docs/audit-events.md)')
    .requiredOption('--subject <subject>', 'what it is about, e.g. model:llama@3')
    .option('--actor <actor>', 'record on behalf of this actor (admin only; you are kept as recordedBy); default: you')
    .option('--data <json>', 'a JSON object', '{}')
    .action((f: Remote & { type: string; subject: string; actor?: string; data: string }) => {
      let data: unknown;
      try {
        data = JSON.parse(f.data);
      } catch (err) {
        throw new CoreError('CORE_USAGE', `--data is not JSON: ${(err as Error).message}`);
      }
      return act(f, ops.record, { type: f.type, subject: f.subject, actor: f.actor, data: data as Record<string, unknown> }, (r) => `recorded #${r.index} ${r.leafHash}\n`);
    });

  remote(audit.command('checkpoint').description('print the latest signed checkpoint'))
    .option('--out <file>', 'also write the signed note to a file (to hand to a witness)')
    .action((f: Remote & { out?: string }) =>
      act(f, ops.checkpoint, {}, (cp) => {
        if (f.out !== undefined) writeFileSync(resolve(io.cwd, f.out), cp.note);
        return cp.note;
      }),
    );

  remote(audit.command('prove').description('inclusion proof of one entry against a signed checkpoint (the entry itself only for roles that may read the log)'))
    .requiredOption('--index <i>', '0-based entry index')
    .option('--size <n>', 'checkpoint size (default: the latest)')
    .action((f: Remote & { index: string; size?: string }) =>
      act(f, ops.prove, { index: int(f.index, '--index')!, size: int(f.size, '--size') }, (p) => `entry #${p.index} in tree of size ${p.size}\nleaf ${p.leafHash}\n${p.entry === undefined ? '' : `${p.entry}\n`}proof:\n${p.proof.map((h) => `  ${h}`).join('\n')}\n${p.checkpoint.note}`),
    );

  remote(audit.command('consistency').description('consistency proof between two tree sizes'))
    .requiredOption('--from <m>', 'the older size')
    .option('--to <n>', 'the newer checkpoint size (default: the latest)')
    .action((f: Remote & { from: string; to?: string }) =>
      act(f, ops.consistency, { from: int(f.from, '--from')!, to: int(f.to, '--to') }, (c) => `consistency ${c.from} → ${c.to}\n${c.proof.map((h) => `  ${h}`).join('\n')}\n${c.checkpoint.note}`),
    );

  common(audit.command('verify').description('recompute the log from its entries and check every checkpoint; exit 1 naming what broke'))
    .option('--from-checkpoint <file>', 'a checkpoint published earlier: the log must still hold exactly that history')
    .option('--key <pub>', "the log's first public key (default: found among the home's keys by the log's origin)")
    .action(async (f: Common & { fromCheckpoint?: string; key?: string }) => {
      local('verify');
      setCode(
        await withRuntime(io, env, f, async (rt) => {
          rt.authorize('verifyAudit', { type: 'Audit', id: 'log' });
          const published = f.fromCheckpoint === undefined ? undefined : readFileSync(resolve(io.cwd, f.fromCheckpoint), 'utf8');
          const first = f.key === undefined ? firstLogKey(rt.keys, rt.key.origin) : readPublicKey(io, f.key);
          if (first === undefined) throw new CoreError('CORE_USAGE', `the key that started this log (origin ${rt.key.origin}) is not among the home's keys; pass it with --key`);
          if (originOf(first) !== rt.key.origin) throw new CoreError('CORE_USAGE', `${f.key ?? 'that key'} did not start this log (origin ${rt.key.origin}); pass the log's first key`);
          const { verifier } = logVerifier(first);
          const r = await verifyLog(rt.store, { origin: rt.key.origin, verifier, ...(published === undefined ? {} : { publishedCheckpoint: published }) });
          print(io, f.json, r, r.ok ? `ok: ${r.size} entries, ${r.checkpoints} checkpoints verified\n` : `TAMPERED: ${r.reason}${r.firstBadIndex === undefined ? '' : ` (first bad index ${r.firstBadIndex})`}\n`);
          return r.ok ? 0 : 1;
        }),
      );
    });

  common(audit.command('rotate-key').description("retire the log's signing key: a new key is announced in the log, signed by the old"))
    .action(async (f: Common) => {
      local('rotate-key');
      setCode(
        await withRuntime(io, env, f, async (rt) => {
          rt.authorize('administerAudit', { type: 'Audit', id: 'log' });
          const previous = rt.key;
          const staged = stageNextLogKey(rt.home);
          const next = logKey(staged, createPublicKey(staged), previous.origin);
          const r = await rt.log.rotateKey(next, rt.actor);
          promoteNextLogKey(rt.home);
          const out = { index: r.index, leafHash: r.leafHash, checkpointSize: r.checkpointSize, origin: next.origin, previousKey: previous.vkey, newKey: next.vkey };
          print(io, f.json, out, `rotated: entry #${r.index} announces key ${next.id} (was ${previous.id}); keys/log-${previous.id}.pub keeps the old public key\n`);
          return 0;
        }),
      );
    });

  common(audit.command('purge').description('delete raw text kept beside the log past its retention; the log itself is untouched'))
    .option('--older-than <days>', 'days to keep (default: audit.retentionDays in the config)')
    .action(async (f: Common & { olderThan?: string }) => {
      local('purge');
      setCode(
        await withRuntime(io, env, f, async (rt) => {
          rt.authorize('administerAudit', { type: 'Audit', id: 'log' });
          const days = int(f.olderThan, '--older-than') ?? rt.config.audit.retentionDays;
          const before = new Date(Date.now() - days * 86_400_000);
          const purged = await purgeRawText(rt.store, before);
          const r = await rt.log.record({ type: 'audit.raw_purged', actor: rt.actor, subject: 'store:audit_raw', data: { before: before.toISOString(), purged } });
          print(io, f.json, { purged, before: before.toISOString(), index: r.index }, `purged ${purged} raw text record${purged === 1 ? '' : 's'} kept before ${before.toISOString()} (recorded as #${r.index})\n`);
          return 0;
        }),
      );
    });

  common(audit.command('export').description('write an evidence bundle (entries, proofs, checkpoint) for offline verification'))
    .requiredOption('--from <i>', 'first entry (0-based)')
    .requiredOption('--to <j>', 'last entry, included')
    .option('-o, --output <file>', 'bundle file (default: stdout)')
    .action(async (f: Common & { from: string; to: string; output?: string }) => {
      local('export');
      setCode(
        await withRuntime(io, env, f, async (rt) => {
          rt.authorize('readAudit', { type: 'Audit', id: 'log' });
          const bundle = await exportBundle(rt.store, rt.key.origin, int(f.from, '--from')!, int(f.to, '--to')!);
          const text = JSON.stringify(bundle, null, 2) + '\n';
          if (f.output === undefined) io.stdout(text);
          else {
            writeFileSync(resolve(io.cwd, f.output), text);
            io.stderr(`wrote ${bundle.entries.length} entries with proofs against the checkpoint of size ${bundle.checkpoint.size} to ${f.output}\n`);
          }
          return 0;
        }),
      );
    });

  audit
    .command('verify-bundle')
    .description("verify an evidence bundle offline with the log's public key; needs no database")
    .argument('<file>', 'the bundle')
    .requiredOption('--key <pub>', "the log's public key (keys/log.pub); a bundle that carried its own key would prove nothing")
    .option('--json', 'print JSON')
    .action((file: string, f: { key: string; json?: boolean }) => {
      let bundle: unknown;
      try {
        bundle = JSON.parse(readFileSync(resolve(io.cwd, file), 'utf8'));
      } catch (err) {
        throw new CoreError('CORE_USAGE', `cannot read bundle ${file}: ${(err as Error).message}`);
      }
      const key = readPublicKey(io, f.key);
      const r = verifyBundle(bundle, key);
      print(io, f.json, r, r.ok ? `ok: ${r.entries} entries verified against the signed checkpoint of size ${r.size}\n` : `FAILED: ${r.reason}\n`);
      setCode(r.ok ? 0 : 1);
    });

  const show = (rows: EntryView[]): string => rows.map((e) => `#${e.index} ${e.time} ${e.type} ${e.actor} ${e.subject} ${JSON.stringify(e.data)}`).join('\n');
  remote(audit.command('tail').description('the newest entries'))
    .option('-n, --lines <n>', 'how many', '20')
    .action((f: Remote & { lines: string }) => act(f, ops.tail, { lines: int(f.lines, '--lines')! }, show));

  remote(audit.command('search').description('entries by type, actor, subject and time, newest first'))
    .option('--type <type>', 'event type')
    .option('--actor <actor>', 'actor, e.g. os:alice')
    .option('--subject <subject>', 'subject, e.g. model:llama@3')
    .option('--since <time>', 'RFC 3339 time, e.g. 2026-11-01T00:00:00Z')
    .option('-n, --limit <n>', 'at most this many', '100')
    .action((f: Remote & { type?: string; actor?: string; subject?: string; since?: string; limit: string }) => {
      if (f.since !== undefined && Number.isNaN(Date.parse(f.since))) throw new CoreError('CORE_USAGE', `--since must be a time like 2026-11-01T00:00:00Z, not '${f.since}'`);
      return act(f, ops.search, { type: f.type, actor: f.actor, subject: f.subject, since: f.since, limit: int(f.limit, '--limit')! }, show);
    });
}
