import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/**
 * Lists each zip with Python's zipfile (an independent reader) and walks its data.pkl with pickletools, so a
 * broken zip64 record or pickle in the generator cannot pass unnoticed. Reads only the directories and data.pkl.
 */
const SCRIPT = `
import sys, zipfile, pickletools, json
out = []
for p in sys.argv[1:]:
    z = zipfile.ZipFile(p)
    names = z.namelist()
    infos = z.infolist()
    pkl = [n for n in names if n.endswith('/data.pkl')][0]
    ops = sum(1 for _ in pickletools.genops(z.read(pkl)))
    out.append({'path': p, 'members': len(names), 'maxOffset': max(i.header_offset for i in infos),
                'tensorBytes': sum(i.file_size for i in infos if '/data/' in i.filename), 'pickleOpcodes': ops})
print(json.dumps(out))
`;

export interface ZipCheck {
  path: string;
  members: number;
  maxOffset: number;
  tensorBytes: number;
  pickleOpcodes: number;
}

export function pythonAvailable(): boolean {
  return existsSync(PYTHON);
}

export function checkZips(paths: readonly string[]): ZipCheck[] {
  return JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, ...paths], { encoding: 'utf8' })) as ZipCheck[];
}

/** The one-line check from the brief, run verbatim so its output can be quoted. */
export function namelistCount(path: string): string {
  return execFileSync(PYTHON, ['-c', 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))', path], { encoding: 'utf8' }).trim();
}
