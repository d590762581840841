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

interface LineNode extends ProfileNode {
  positionTicks?: { line: number; ticks: number }[];
  hitCount?: number;
}

export interface HotLine {
  where: string;
  share: number;
  code: string;
}

/** The source lines with the most samples (V8 `positionTicks`), with their text: a sharper pointer than a function. */
export function hotLines(dir: string, top = 8): HotLine[] {
  const ticks = new Map<string, { file: string; line: number; n: number; fn: string }>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: LineNode[] };
    for (const n of p.nodes) {
      total += n.hitCount ?? 0;
      const file = n.callFrame.url.replace(/^file:\/\//, '');
      if (!file.startsWith('/')) continue;
      for (const t of n.positionTicks ?? []) {
        const key = `${file}:${t.line}`;
        const e = ticks.get(key) ?? { file, line: t.line, n: 0, fn: n.callFrame.functionName };
        e.n += t.ticks;
        ticks.set(key, e);
      }
    }
  }
  return [...ticks.values()]
    .sort((a, b) => b.n - a.n)
    .slice(0, top)
    .map((e) => ({
      where: `${e.fn} ${e.file.split('/').slice(-3).join('/')}:${e.line}`,
      share: total === 0 ? 0 : e.n / total,
      code: sourceLine(e.file, e.line),
    }));
}

function sourceLine(file: string, line: number): string {
  try {
    return (readFileSync(file, 'utf8').split('\n')[line - 1] ?? '').trim().slice(0, 100);
  } catch {
    return '';
  }
}
