import type { Command } from 'commander';
import { OPERATIONS } from '../../control/operations.js';
import type { Incident } from '../../registry/index.js';
import { controlAction, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import type { StoreFlags } from '../runtime.js';

const show = (i: Incident): string => [`incident ${i.id} on ${i.model}: ${i.reason}${i.closedAt === undefined ? '' : ` (closed ${i.closedAt} by ${i.closedBy ?? ''})`}`, ...i.steps.map((s) => `  ${s.ok ? 'done' : 'FAILED'} ${s.step} ${s.target}: ${s.detail}`)].join('\n');

/** `palisade incident open | close | list`: the playbook from the config, each step in the audit log. */
export function registerIncident(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const inc = program.command('incident').description("incidents: freeze a model, roll production back, revoke keys, notify (the config's registry.incident playbook)");
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.incident;

  remoteOptions(inc.command('open').description('open an incident and run the playbook; exit 1 when a step failed'))
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--reason <text>', 'what happened')
    .action((f: StoreFlags & { model: string; reason: string }) => act(f, ops.open, { model: f.model, reason: f.reason }, { text: show, exit: (i) => (i.steps.every((s) => s.ok) ? 0 : 1) }));

  remoteOptions(inc.command('close').description('close an incident and unfreeze its model'))
    .argument('<id>', 'incident id')
    .option('--comment <text>', 'resolution', 'closed')
    .action((id: string, f: StoreFlags & { comment: string }) => act(f, ops.close, { id, comment: f.comment }, show));

  remoteOptions(inc.command('list').description('incidents, oldest first')).action((f: StoreFlags) => act(f, ops.list, {}, (l) => l.map(show).join('\n')));
}
