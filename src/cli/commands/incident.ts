import type { Command } from 'commander';
import { closeIncident, listIncidents, openIncident, type Incident } from '../../registry/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';

const show = (i: Incident): string => [`incident ${i.id} on ${i.model}: ${i.reason}${i.closedAt === undefined ? '' : ` (closed ${i.closedAt} by ${i.closedBy ?? ''})`}`, ...i.steps.map((s) => `  ${s.ok ? 'done' : 'FAILED'} ${s.step} ${s.target}: ${s.detail}`)].join('\n');

/** `palisade incident open | close | list`: the playbook from the config, each step in the audit log. */
export function registerIncident(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const inc = program.command('incident').description("incidents: freeze a model, roll production back, revoke keys, notify (the config's registry.incident playbook)");
  const act = registryAction(io, env, setCode);

  storeOptions(inc.command('open').description('open an incident and run the playbook; exit 1 when a step failed'))
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--reason <text>', 'what happened')
    .action((f: StoreFlags & { model: string; reason: string }) =>
      act(f, async (deps, rt) => {
        const i = await openIncident(deps, rt.principal, f.model, f.reason);
        out(io, f.json, i, show(i));
        return i.steps.every((s) => s.ok) ? 0 : 1;
      }),
    );

  storeOptions(inc.command('close').description('close an incident and unfreeze its model'))
    .argument('<id>', 'incident id')
    .option('--comment <text>', 'resolution', 'closed')
    .action((id: string, f: StoreFlags & { comment: string }) =>
      act(f, async (deps, rt) => {
        const i = await closeIncident(deps, rt.principal, id, f.comment);
        out(io, f.json, i, show(i));
        return 0;
      }),
    );

  storeOptions(inc.command('list').description('incidents, oldest first')).action((f: StoreFlags) =>
    act(f, async (deps, rt) => {
      const l = await listIncidents(deps, rt.principal);
      out(io, f.json, l, l.map(show).join('\n'));
      return 0;
    }),
  );
}
