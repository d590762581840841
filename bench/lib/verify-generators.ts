import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSink, type ByteSink } from './byte-sink.js';
import { writeRecordsPickle, writeVocabPickle } from './dense-pickles.js';
import { transformerLayout, type TensorSpec } from './layout.js';
import { writeNumpyPickle } from './numpy-checkpoint.js';
import { PYTHON, pythonAvailable } from './python-check.js';
import { writeTorchLegacy, writeTorchZip } from './torch-checkpoint.js';

/**
 * Checks that the generators write what the real tools write, using the real tools (CPython's pickle, NumPy and
 * torch 1.13 from Debian). Run by hand with `npx tsx bench/scan-throughput.ts --verify-generators`; the benchmark
 * itself does not need Python.
 */
const SCRIPT = String.raw`
import sys, json, io, pickle, pickletools
import numpy as np, torch
d = sys.argv[1]
m = json.load(open(d + '/manifest.json'))
names = [t['name'] for t in m['layout']]
shapes = [tuple(t['shape']) for t in m['layout']]
def ops(b, mask=lambda a: a):
    return [(o.name, len(a) if isinstance(a, (bytes, bytearray)) else mask(a)) for o, a, _ in pickletools.genops(b)]
def frameless(b):
    return [x for x in ops(b) if x[0] != 'FRAME']
res = []
def check(name, ok, detail=''):
    res.append({'check': name, 'ok': bool(ok), 'detail': detail})

# 1. torch zip: byte-identical to torch.save of the same (zeroed) state_dict.
net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
sd = net.state_dict()
for v in sd.values(): v.zero_()
torch.save(sd, d + '/ref/sd.pt')
a = open(d + '/ref/sd.pt', 'rb').read(); b = open(d + '/sd.pt', 'rb').read()
check('torch zip (zeroed Linear+LayerNorm) is byte-identical to torch.save', a == b, f'{len(b)} bytes')

# 2. torch zip of the decoder layout loads with torch.load, same names and shapes.
sd = torch.load(d + '/decoder.pt')
check('decoder zip loads with torch.load', list(sd) == names and [tuple(v.shape) for v in sd.values()] == shapes, f'{len(sd)} tensors')

# 3. legacy format: torch.load works and the five pickles match torch's own legacy save (storage keys masked).
leg = torch.load(d + '/legacy.pt')
ok = list(leg) == names and [tuple(v.shape) for v in leg.values()] == shapes
buf = io.BytesIO(); torch.save(leg, buf, _use_new_zipfile_serialization=False)
def five(b):
    f = io.BytesIO(b); out = []
    for _ in range(5):
        out += [(o.name, 'KEY' if isinstance(x, str) and x.isdigit() and len(x) > 6 else x) for o, x, _ in pickletools.genops(f)]
    return out
check('legacy torch file loads and its pickles match torch (keys masked)', ok and five(open(d + '/legacy.pt', 'rb').read()) == five(buf.getvalue()))

# 4. NumPy pickles: load to float32 arrays of the right shapes; same opcodes, arguments and frames as pickle.dumps.
for p in (4, 5):
    mine = open(d + f'/numpy-p{p}.pkl', 'rb').read()
    obj = pickle.loads(mine)
    ok = list(obj) == names and all(obj[n].shape == s and obj[n].dtype == np.float32 for n, s in zip(names, shapes))
    check(f'NumPy protocol {p}: loads, and opcodes/args/frames equal pickle.dumps', ok and ops(mine) == ops(pickle.dumps(obj, protocol=p)))

# 5. Opcode-dense pickles.
mine = open(d + '/vocab.pkl', 'rb').read()
check('vocab protocol 2 is byte-identical to pickle.dumps', mine == pickle.dumps(pickle.loads(mine), protocol=2), f'{len(mine)} bytes')
mine = open(d + '/records.pkl', 'rb').read()
same = frameless(mine) == frameless(pickle.dumps(pickle.loads(mine), protocol=4))
check('records protocol 4: same opcodes as pickle.dumps (FRAME split points may differ)', same, f'{len(mine)} bytes')
print(json.dumps(res))
`;

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

function toFile(path: string, body: (s: ByteSink) => void, sparse = false): void {
  const sink = new FileSink(path, sparse);
  try {
    body(sink);
  } finally {
    sink.close();
  }
}

export function verifyGenerators(dir: string): void {
  if (!pythonAvailable()) throw new Error(`${PYTHON} is needed to verify the generators`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'ref'), { recursive: true });
  const layout: TensorSpec[] = transformerLayout({ targetBytes: 2_000_000, layers: 2, align: 16, positions: 64 });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ layout }));
  // torch names the archive folder after the file; zeroed tensors are holes in a sparse file.
  const tiny = [
    { name: '0.weight', shape: [2, 3] },
    { name: '0.bias', shape: [2] },
    { name: '1.weight', shape: [2] },
    { name: '1.bias', shape: [2] },
  ];
  toFile(join(dir, 'sd.pt'), (s) => writeTorchZip(s, tiny, 'sd'), true);
  toFile(join(dir, 'decoder.pt'), (s) => writeTorchZip(s, layout, 'decoder'));
  toFile(join(dir, 'legacy.pt'), (s) => writeTorchLegacy(s, layout));
  toFile(join(dir, 'numpy-p4.pkl'), (s) => writeNumpyPickle(s, layout, 4));
  toFile(join(dir, 'numpy-p5.pkl'), (s) => writeNumpyPickle(s, layout, 5));
  toFile(join(dir, 'vocab.pkl'), (s) => writeVocabPickle(s, 400_000));
  toFile(join(dir, 'records.pkl'), (s) => writeRecordsPickle(s, 400_000));
  const checks = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, dir], { encoding: 'utf8' })) as Check[];
  for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}${c.detail === '' ? '' : ` (${c.detail})`}\n`);
  rmSync(dir, { recursive: true, force: true });
  if (checks.some((c) => !c.ok)) throw new Error('a generator does not match what the real tools write');
}
