import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  where: string;
  selfMs: number;
  share: number;
}

/** The functions with the most self time in the `.cpuprofile` files `node --cpu-prof` wrote to `dir`. */
export function hotSpots(dir: string, top = 10): HotSpot[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const f = byId.get(id)!.callFrame;
      const url = f.url === '' ? '' : ` ${f.url.replace(/^file:\/\//, '').split('/').slice(-3).join('/')}:${f.lineNumber + 1}`;
      const key = `${f.functionName === '' ? '(anonymous)' : f.functionName}${url}`;
      const dt = p.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total === 0 ? 0 : us / total }));
}
