/**
 * What kind of file a path is, by name: which detectors read it. `text` files (prose, unknown extensions) are read
 * for hard-coded keys only: a key leaks wherever it sits, but a hostname in a README is prose, not a call.
 */
export type FileKind =
  | 'python'
  | 'notebook'
  | 'js'
  | 'go'
  | 'go-mod'
  | 'java'
  | 'shell'
  | 'yaml'
  | 'docker'
  | 'env'
  | 'npm-manifest'
  | 'requirements'
  | 'py-manifest'
  | 'maven'
  | 'gradle'
  | 'config'
  | 'text';

const BY_EXTENSION: Readonly<Record<string, FileKind>> = {
  py: 'python',
  pyi: 'python',
  ipynb: 'notebook',
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'js',
  ts: 'js',
  tsx: 'js',
  mts: 'js',
  cts: 'js',
  go: 'go',
  java: 'java',
  kt: 'java',
  kts: 'java',
  scala: 'java',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  yaml: 'yaml',
  yml: 'yaml',
  dockerfile: 'docker',
  containerfile: 'docker',
  env: 'env',
  json: 'config',
  toml: 'config',
  ini: 'config',
  cfg: 'config',
  conf: 'config',
  properties: 'config',
  tf: 'config',
  xml: 'config',
};

/** Lock files list every transitive package and no keys: reading them would report what the manifests already do. */
const LOCK_FILES = new Set(['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'poetry.lock', 'uv.lock', 'go.sum', 'cargo.lock', 'pipfile.lock', 'npm-shrinkwrap.json']);

/** The kind of a file by its base name; undefined for lock files, which are not read. */
export function fileKindOf(name: string): FileKind | undefined {
  const n = name.toLowerCase();
  if (LOCK_FILES.has(n)) return undefined;
  if (n === 'package.json') return 'npm-manifest';
  if (n === 'go.mod') return 'go-mod';
  if (n === 'pom.xml') return 'maven';
  if (n === 'build.gradle' || n === 'build.gradle.kts') return 'gradle';
  if (n === 'pyproject.toml' || n === 'pipfile' || n === 'setup.cfg') return 'py-manifest';
  if (/^(?:requirements|constraints)[\w.-]*\.(?:txt|in)$/.test(n)) return 'requirements';
  if (n === 'dockerfile' || n === 'containerfile' || n.startsWith('dockerfile.')) return 'docker';
  if (n === '.env' || n.startsWith('.env.') || n.endsWith('.env')) return 'env';
  const dot = n.lastIndexOf('.');
  const ext = dot < 0 ? '' : n.slice(dot + 1);
  return Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext] : 'text';
}

/** The comment marker of a line for a kind, or undefined: comment lines are prose for SDK and endpoint detection. */
export function isCommentLine(line: string, kind: FileKind): boolean {
  const t = line.trimStart();
  switch (kind) {
    case 'js':
    case 'go':
    case 'java':
    case 'gradle':
      return t.startsWith('//') || t.startsWith('/*') || t.startsWith('* ') || t === '*';
    case 'maven':
    case 'config':
      return t.startsWith('<!--') || t.startsWith('#') || t.startsWith(';') || t.startsWith('//');
    case 'notebook':
      return /^"\s*#/.test(t);
    default:
      return t.startsWith('#');
  }
}
